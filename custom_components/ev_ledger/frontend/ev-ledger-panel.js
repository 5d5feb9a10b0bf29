var Y=globalThis,J=Y.ShadowRoot&&(Y.ShadyCSS===void 0||Y.ShadyCSS.nativeShadow)&&"adoptedStyleSheets"in Document.prototype&&"replace"in CSSStyleSheet.prototype,rt=Symbol(),Tt=new WeakMap,L=class{constructor(e,t,s){if(this._$cssResult$=!0,s!==rt)throw Error("CSSResult is not constructable. Use `unsafeCSS` or `css` instead.");this.cssText=e,this.t=t}get styleSheet(){let e=this.o,t=this.t;if(J&&e===void 0){let s=t!==void 0&&t.length===1;s&&(e=Tt.get(t)),e===void 0&&((this.o=e=new CSSStyleSheet).replaceSync(this.cssText),s&&Tt.set(t,e))}return e}toString(){return this.cssText}},At=r=>new L(typeof r=="string"?r:r+"",void 0,rt),O=(r,...e)=>{let t=r.length===1?r[0]:e.reduce((s,n,o)=>s+(i=>{if(i._$cssResult$===!0)return i.cssText;if(typeof i=="number")return i;throw Error("Value passed to 'css' function must be a 'css' function result: "+i+". Use 'unsafeCSS' to pass non-literal values, but take care to ensure page security.")})(n)+r[o+1],r[0]);return new L(t,r,rt)},Et=(r,e)=>{if(J)r.adoptedStyleSheets=e.map(t=>t instanceof CSSStyleSheet?t:t.styleSheet);else for(let t of e){let s=document.createElement("style"),n=Y.litNonce;n!==void 0&&s.setAttribute("nonce",n),s.textContent=t.cssText,r.appendChild(s)}},it=J?r=>r:r=>r instanceof CSSStyleSheet?(e=>{let t="";for(let s of e.cssRules)t+=s.cssText;return At(t)})(r):r;var{is:_e,defineProperty:ge,getOwnPropertyDescriptor:fe,getOwnPropertyNames:ye,getOwnPropertySymbols:$e,getPrototypeOf:be}=Object,X=globalThis,Ct=X.trustedTypes,ve=Ct?Ct.emptyScript:"",xe=X.reactiveElementPolyfillSupport,H=(r,e)=>r,ot={toAttribute(r,e){switch(e){case Boolean:r=r?ve:null;break;case Object:case Array:r=r==null?r:JSON.stringify(r)}return r},fromAttribute(r,e){let t=r;switch(e){case Boolean:t=r!==null;break;case Number:t=r===null?null:Number(r);break;case Object:case Array:try{t=JSON.parse(r)}catch{t=null}}return t}},Mt=(r,e)=>!_e(r,e),Rt={attribute:!0,type:String,converter:ot,reflect:!1,useDefault:!1,hasChanged:Mt};Symbol.metadata??=Symbol("metadata"),X.litPropertyMetadata??=new WeakMap;var x=class extends HTMLElement{static addInitializer(e){this._$Ei(),(this.l??=[]).push(e)}static get observedAttributes(){return this.finalize(),this._$Eh&&[...this._$Eh.keys()]}static createProperty(e,t=Rt){if(t.state&&(t.attribute=!1),this._$Ei(),this.prototype.hasOwnProperty(e)&&((t=Object.create(t)).wrapped=!0),this.elementProperties.set(e,t),!t.noAccessor){let s=Symbol(),n=this.getPropertyDescriptor(e,s,t);n!==void 0&&ge(this.prototype,e,n)}}static getPropertyDescriptor(e,t,s){let{get:n,set:o}=fe(this.prototype,e)??{get(){return this[t]},set(i){this[t]=i}};return{get:n,set(i){let l=n?.call(this);o?.call(this,i),this.requestUpdate(e,l,s)},configurable:!0,enumerable:!0}}static getPropertyOptions(e){return this.elementProperties.get(e)??Rt}static _$Ei(){if(this.hasOwnProperty(H("elementProperties")))return;let e=be(this);e.finalize(),e.l!==void 0&&(this.l=[...e.l]),this.elementProperties=new Map(e.elementProperties)}static finalize(){if(this.hasOwnProperty(H("finalized")))return;if(this.finalized=!0,this._$Ei(),this.hasOwnProperty(H("properties"))){let t=this.properties,s=[...ye(t),...$e(t)];for(let n of s)this.createProperty(n,t[n])}let e=this[Symbol.metadata];if(e!==null){let t=litPropertyMetadata.get(e);if(t!==void 0)for(let[s,n]of t)this.elementProperties.set(s,n)}this._$Eh=new Map;for(let[t,s]of this.elementProperties){let n=this._$Eu(t,s);n!==void 0&&this._$Eh.set(n,t)}this.elementStyles=this.finalizeStyles(this.styles)}static finalizeStyles(e){let t=[];if(Array.isArray(e)){let s=new Set(e.flat(1/0).reverse());for(let n of s)t.unshift(it(n))}else e!==void 0&&t.push(it(e));return t}static _$Eu(e,t){let s=t.attribute;return s===!1?void 0:typeof s=="string"?s:typeof e=="string"?e.toLowerCase():void 0}constructor(){super(),this._$Ep=void 0,this.isUpdatePending=!1,this.hasUpdated=!1,this._$Em=null,this._$Ev()}_$Ev(){this._$ES=new Promise(e=>this.enableUpdating=e),this._$AL=new Map,this._$E_(),this.requestUpdate(),this.constructor.l?.forEach(e=>e(this))}addController(e){(this._$EO??=new Set).add(e),this.renderRoot!==void 0&&this.isConnected&&e.hostConnected?.()}removeController(e){this._$EO?.delete(e)}_$E_(){let e=new Map,t=this.constructor.elementProperties;for(let s of t.keys())this.hasOwnProperty(s)&&(e.set(s,this[s]),delete this[s]);e.size>0&&(this._$Ep=e)}createRenderRoot(){let e=this.shadowRoot??this.attachShadow(this.constructor.shadowRootOptions);return Et(e,this.constructor.elementStyles),e}connectedCallback(){this.renderRoot??=this.createRenderRoot(),this.enableUpdating(!0),this._$EO?.forEach(e=>e.hostConnected?.())}enableUpdating(e){}disconnectedCallback(){this._$EO?.forEach(e=>e.hostDisconnected?.())}attributeChangedCallback(e,t,s){this._$AK(e,s)}_$ET(e,t){let s=this.constructor.elementProperties.get(e),n=this.constructor._$Eu(e,s);if(n!==void 0&&s.reflect===!0){let o=(s.converter?.toAttribute!==void 0?s.converter:ot).toAttribute(t,s.type);this._$Em=e,o==null?this.removeAttribute(n):this.setAttribute(n,o),this._$Em=null}}_$AK(e,t){let s=this.constructor,n=s._$Eh.get(e);if(n!==void 0&&this._$Em!==n){let o=s.getPropertyOptions(n),i=typeof o.converter=="function"?{fromAttribute:o.converter}:o.converter?.fromAttribute!==void 0?o.converter:ot;this._$Em=n;let l=i.fromAttribute(t,o.type);this[n]=l??this._$Ej?.get(n)??l,this._$Em=null}}requestUpdate(e,t,s,n=!1,o){if(e!==void 0){let i=this.constructor;if(n===!1&&(o=this[e]),s??=i.getPropertyOptions(e),!((s.hasChanged??Mt)(o,t)||s.useDefault&&s.reflect&&o===this._$Ej?.get(e)&&!this.hasAttribute(i._$Eu(e,s))))return;this.C(e,t,s)}this.isUpdatePending===!1&&(this._$ES=this._$EP())}C(e,t,{useDefault:s,reflect:n,wrapped:o},i){s&&!(this._$Ej??=new Map).has(e)&&(this._$Ej.set(e,i??t??this[e]),o!==!0||i!==void 0)||(this._$AL.has(e)||(this.hasUpdated||s||(t=void 0),this._$AL.set(e,t)),n===!0&&this._$Em!==e&&(this._$Eq??=new Set).add(e))}async _$EP(){this.isUpdatePending=!0;try{await this._$ES}catch(t){Promise.reject(t)}let e=this.scheduleUpdate();return e!=null&&await e,!this.isUpdatePending}scheduleUpdate(){return this.performUpdate()}performUpdate(){if(!this.isUpdatePending)return;if(!this.hasUpdated){if(this.renderRoot??=this.createRenderRoot(),this._$Ep){for(let[n,o]of this._$Ep)this[n]=o;this._$Ep=void 0}let s=this.constructor.elementProperties;if(s.size>0)for(let[n,o]of s){let{wrapped:i}=o,l=this[n];i!==!0||this._$AL.has(n)||l===void 0||this.C(n,void 0,o,l)}}let e=!1,t=this._$AL;try{e=this.shouldUpdate(t),e?(this.willUpdate(t),this._$EO?.forEach(s=>s.hostUpdate?.()),this.update(t)):this._$EM()}catch(s){throw e=!1,this._$EM(),s}e&&this._$AE(t)}willUpdate(e){}_$AE(e){this._$EO?.forEach(t=>t.hostUpdated?.()),this.hasUpdated||(this.hasUpdated=!0,this.firstUpdated(e)),this.updated(e)}_$EM(){this._$AL=new Map,this.isUpdatePending=!1}get updateComplete(){return this.getUpdateComplete()}getUpdateComplete(){return this._$ES}shouldUpdate(e){return!0}update(e){this._$Eq&&=this._$Eq.forEach(t=>this._$ET(t,this[t])),this._$EM()}updated(e){}firstUpdated(e){}};x.elementStyles=[],x.shadowRootOptions={mode:"open"},x[H("elementProperties")]=new Map,x[H("finalized")]=new Map,xe?.({ReactiveElement:x}),(X.reactiveElementVersions??=[]).push("2.1.2");var pt=globalThis,Pt=r=>r,Z=pt.trustedTypes,Nt=Z?Z.createPolicy("lit-html",{createHTML:r=>r}):void 0,Ht="$lit$",w=`lit$${Math.random().toFixed(9).slice(2)}$`,Ft="?"+w,we=`<${Ft}>`,E=document,z=()=>E.createComment(""),W=r=>r===null||typeof r!="object"&&typeof r!="function",mt=Array.isArray,ke=r=>mt(r)||typeof r?.[Symbol.iterator]=="function",at=`[ 	
\f\r]`,F=/<(?:(!--|\/[^a-zA-Z])|(\/?[a-zA-Z][^>\s]*)|(\/?$))/g,Dt=/-->/g,Ut=/>/g,T=RegExp(`>|${at}(?:([^\\s"'>=/]+)(${at}*=${at}*(?:[^ 	
\f\r"'\`<>=]|("|')|))|$)`,"g"),It=/'/g,Lt=/"/g,zt=/^(?:script|style|textarea|title)$/i,_t=r=>(e,...t)=>({_$litType$:r,strings:e,values:t}),h=_t(1),R=_t(2),He=_t(3),C=Symbol.for("lit-noChange"),_=Symbol.for("lit-nothing"),Ot=new WeakMap,A=E.createTreeWalker(E,129);function Wt(r,e){if(!mt(r)||!r.hasOwnProperty("raw"))throw Error("invalid template strings array");return Nt!==void 0?Nt.createHTML(e):e}var Se=(r,e)=>{let t=r.length-1,s=[],n,o=e===2?"<svg>":e===3?"<math>":"",i=F;for(let l=0;l<t;l++){let a=r[l],d,c,p=-1,m=0;for(;m<a.length&&(i.lastIndex=m,c=i.exec(a),c!==null);)m=i.lastIndex,i===F?c[1]==="!--"?i=Dt:c[1]!==void 0?i=Ut:c[2]!==void 0?(zt.test(c[2])&&(n=RegExp("</"+c[2],"g")),i=T):c[3]!==void 0&&(i=T):i===T?c[0]===">"?(i=n??F,p=-1):c[1]===void 0?p=-2:(p=i.lastIndex-c[2].length,d=c[1],i=c[3]===void 0?T:c[3]==='"'?Lt:It):i===Lt||i===It?i=T:i===Dt||i===Ut?i=F:(i=T,n=void 0);let g=i===T&&r[l+1].startsWith("/>")?" ":"";o+=i===F?a+we:p>=0?(s.push(d),a.slice(0,p)+Ht+a.slice(p)+w+g):a+w+(p===-2?l:g)}return[Wt(r,o+(r[t]||"<?>")+(e===2?"</svg>":e===3?"</math>":"")),s]},B=class r{constructor({strings:e,_$litType$:t},s){let n;this.parts=[];let o=0,i=0,l=e.length-1,a=this.parts,[d,c]=Se(e,t);if(this.el=r.createElement(d,s),A.currentNode=this.el.content,t===2||t===3){let p=this.el.content.firstChild;p.replaceWith(...p.childNodes)}for(;(n=A.nextNode())!==null&&a.length<l;){if(n.nodeType===1){if(n.hasAttributes())for(let p of n.getAttributeNames())if(p.endsWith(Ht)){let m=c[i++],g=n.getAttribute(p).split(w),b=/([.?@])?(.*)/.exec(m);a.push({type:1,index:o,name:b[2],strings:g,ctor:b[1]==="."?ct:b[1]==="?"?ht:b[1]==="@"?ut:N}),n.removeAttribute(p)}else p.startsWith(w)&&(a.push({type:6,index:o}),n.removeAttribute(p));if(zt.test(n.tagName)){let p=n.textContent.split(w),m=p.length-1;if(m>0){n.textContent=Z?Z.emptyScript:"";for(let g=0;g<m;g++)n.append(p[g],z()),A.nextNode(),a.push({type:2,index:++o});n.append(p[m],z())}}}else if(n.nodeType===8)if(n.data===Ft)a.push({type:2,index:o});else{let p=-1;for(;(p=n.data.indexOf(w,p+1))!==-1;)a.push({type:7,index:o}),p+=w.length-1}o++}}static createElement(e,t){let s=E.createElement("template");return s.innerHTML=e,s}};function P(r,e,t=r,s){if(e===C)return e;let n=s!==void 0?t._$Co?.[s]:t._$Cl,o=W(e)?void 0:e._$litDirective$;return n?.constructor!==o&&(n?._$AO?.(!1),o===void 0?n=void 0:(n=new o(r),n._$AT(r,t,s)),s!==void 0?(t._$Co??=[])[s]=n:t._$Cl=n),n!==void 0&&(e=P(r,n._$AS(r,e.values),n,s)),e}var lt=class{constructor(e,t){this._$AV=[],this._$AN=void 0,this._$AD=e,this._$AM=t}get parentNode(){return this._$AM.parentNode}get _$AU(){return this._$AM._$AU}u(e){let{el:{content:t},parts:s}=this._$AD,n=(e?.creationScope??E).importNode(t,!0);A.currentNode=n;let o=A.nextNode(),i=0,l=0,a=s[0];for(;a!==void 0;){if(i===a.index){let d;a.type===2?d=new K(o,o.nextSibling,this,e):a.type===1?d=new a.ctor(o,a.name,a.strings,this,e):a.type===6&&(d=new dt(o,this,e)),this._$AV.push(d),a=s[++l]}i!==a?.index&&(o=A.nextNode(),i++)}return A.currentNode=E,n}p(e){let t=0;for(let s of this._$AV)s!==void 0&&(s.strings!==void 0?(s._$AI(e,s,t),t+=s.strings.length-2):s._$AI(e[t])),t++}},K=class r{get _$AU(){return this._$AM?._$AU??this._$Cv}constructor(e,t,s,n){this.type=2,this._$AH=_,this._$AN=void 0,this._$AA=e,this._$AB=t,this._$AM=s,this.options=n,this._$Cv=n?.isConnected??!0}get parentNode(){let e=this._$AA.parentNode,t=this._$AM;return t!==void 0&&e?.nodeType===11&&(e=t.parentNode),e}get startNode(){return this._$AA}get endNode(){return this._$AB}_$AI(e,t=this){e=P(this,e,t),W(e)?e===_||e==null||e===""?(this._$AH!==_&&this._$AR(),this._$AH=_):e!==this._$AH&&e!==C&&this._(e):e._$litType$!==void 0?this.$(e):e.nodeType!==void 0?this.T(e):ke(e)?this.k(e):this._(e)}O(e){return this._$AA.parentNode.insertBefore(e,this._$AB)}T(e){this._$AH!==e&&(this._$AR(),this._$AH=this.O(e))}_(e){this._$AH!==_&&W(this._$AH)?this._$AA.nextSibling.data=e:this.T(E.createTextNode(e)),this._$AH=e}$(e){let{values:t,_$litType$:s}=e,n=typeof s=="number"?this._$AC(e):(s.el===void 0&&(s.el=B.createElement(Wt(s.h,s.h[0]),this.options)),s);if(this._$AH?._$AD===n)this._$AH.p(t);else{let o=new lt(n,this),i=o.u(this.options);o.p(t),this.T(i),this._$AH=o}}_$AC(e){let t=Ot.get(e.strings);return t===void 0&&Ot.set(e.strings,t=new B(e)),t}k(e){mt(this._$AH)||(this._$AH=[],this._$AR());let t=this._$AH,s,n=0;for(let o of e)n===t.length?t.push(s=new r(this.O(z()),this.O(z()),this,this.options)):s=t[n],s._$AI(o),n++;n<t.length&&(this._$AR(s&&s._$AB.nextSibling,n),t.length=n)}_$AR(e=this._$AA.nextSibling,t){for(this._$AP?.(!1,!0,t);e!==this._$AB;){let s=Pt(e).nextSibling;Pt(e).remove(),e=s}}setConnected(e){this._$AM===void 0&&(this._$Cv=e,this._$AP?.(e))}},N=class{get tagName(){return this.element.tagName}get _$AU(){return this._$AM._$AU}constructor(e,t,s,n,o){this.type=1,this._$AH=_,this._$AN=void 0,this.element=e,this.name=t,this._$AM=n,this.options=o,s.length>2||s[0]!==""||s[1]!==""?(this._$AH=Array(s.length-1).fill(new String),this.strings=s):this._$AH=_}_$AI(e,t=this,s,n){let o=this.strings,i=!1;if(o===void 0)e=P(this,e,t,0),i=!W(e)||e!==this._$AH&&e!==C,i&&(this._$AH=e);else{let l=e,a,d;for(e=o[0],a=0;a<o.length-1;a++)d=P(this,l[s+a],t,a),d===C&&(d=this._$AH[a]),i||=!W(d)||d!==this._$AH[a],d===_?e=_:e!==_&&(e+=(d??"")+o[a+1]),this._$AH[a]=d}i&&!n&&this.j(e)}j(e){e===_?this.element.removeAttribute(this.name):this.element.setAttribute(this.name,e??"")}},ct=class extends N{constructor(){super(...arguments),this.type=3}j(e){this.element[this.name]=e===_?void 0:e}},ht=class extends N{constructor(){super(...arguments),this.type=4}j(e){this.element.toggleAttribute(this.name,!!e&&e!==_)}},ut=class extends N{constructor(e,t,s,n,o){super(e,t,s,n,o),this.type=5}_$AI(e,t=this){if((e=P(this,e,t,0)??_)===C)return;let s=this._$AH,n=e===_&&s!==_||e.capture!==s.capture||e.once!==s.once||e.passive!==s.passive,o=e!==_&&(s===_||n);n&&this.element.removeEventListener(this.name,this,s),o&&this.element.addEventListener(this.name,this,e),this._$AH=e}handleEvent(e){typeof this._$AH=="function"?this._$AH.call(this.options?.host??this.element,e):this._$AH.handleEvent(e)}},dt=class{constructor(e,t,s){this.element=e,this.type=6,this._$AN=void 0,this._$AM=t,this.options=s}get _$AU(){return this._$AM._$AU}_$AI(e){P(this,e)}};var Te=pt.litHtmlPolyfillSupport;Te?.(B,K),(pt.litHtmlVersions??=[]).push("3.3.3");var Bt=(r,e,t)=>{let s=t?.renderBefore??e,n=s._$litPart$;if(n===void 0){let o=t?.renderBefore??null;s._$litPart$=n=new K(e.insertBefore(z(),o),o,void 0,t??{})}return n._$AI(r),n};var gt=globalThis,k=class extends x{constructor(){super(...arguments),this.renderOptions={host:this},this._$Do=void 0}createRenderRoot(){let e=super.createRenderRoot();return this.renderOptions.renderBefore??=e.firstChild,e}update(e){let t=this.render();this.hasUpdated||(this.renderOptions.isConnected=this.isConnected),super.update(e),this._$Do=Bt(t,this.renderRoot,this.renderOptions)}connectedCallback(){super.connectedCallback(),this._$Do?.setConnected(!0)}disconnectedCallback(){super.disconnectedCallback(),this._$Do?.setConnected(!1)}render(){return C}};k._$litElement$=!0,k.finalized=!0,gt.litElementHydrateSupport?.({LitElement:k});var Ae=gt.litElementPolyfillSupport;Ae?.({LitElement:k});(gt.litElementVersions??=[]).push("4.2.2");var S="ev_ledger";function Kt(r){let e={};for(let[t,s]of Object.entries(r))s!=null&&s!==""&&(e[t]=s);return e}async function Vt(r){return(await r.callWS({type:"config_entries/get",domain:S})).map(t=>({entry_id:t.entry_id,title:t.title,state:t.state}))}async function jt(r,e){let t=await r.callWS({type:"config/device_registry/list"}),s=[];for(let n of t){if(!n.config_entries.includes(e)||n.model!=="Vehicle")continue;let o=n.identifiers.find(([i])=>i===S);o&&s.push({id:n.id,key:o[1],name:n.name_by_user||n.name||o[1],rowId:Me(o[1])})}return s.sort((n,o)=>n.name.localeCompare(o.name))}async function ft(r,e,t,s){let n=await r.callWS({type:`${S}/${e}`,entry_id:t,...Kt(s)});return{rows:n[e]??[],total:Number(n.total??0),hasMore:!!n.has_more}}async function yt(r,e,t){return(await r.callWS({type:`${S}/session`,entry_id:e,session_id:t})).session}async function qt(r,e,t){return(await r.callWS({type:`${S}/trip`,entry_id:e,trip_id:t})).trip}async function Gt(r,e,t,s={}){return r.callWS({type:`${S}/summary`,entry_id:e,...Kt({vehicle:t,start:s.start,end:s.end})})}async function Yt(r,e,t,s){await r.callWS({type:`${S}/session/update`,entry_id:e,session_id:t,...s})}async function Jt(r,e,t){await r.callWS({type:`${S}/session/delete`,entry_id:e,session_id:t})}var Ee="6f1c6a3e-5d0b-4d57-9a57-1f0c2e6b9c11";function Ce(r){let e=r.length,t=new Uint32Array(((e+8>>6)+1)*16);for(let i=0;i<e;i++)t[i>>2]|=r[i]<<24-i%4*8;t[e>>2]|=128<<24-e%4*8,t[t.length-1]=e*8;let s=[1732584193,4023233417,2562383102,271733878,3285377520],n=new Uint32Array(80);for(let i=0;i<t.length;i+=16){for(let m=0;m<80;m++)if(m<16)n[m]=t[i+m];else{let g=n[m-3]^n[m-8]^n[m-14]^n[m-16];n[m]=g<<1|g>>>31}let[l,a,d,c,p]=s;for(let m=0;m<80;m++){let g=m<20?a&d|~a&c:m<40?a^d^c:m<60?a&d|a&c|d&c:a^d^c,b=m<20?1518500249:m<40?1859775393:m<60?2400959708:3395469782,nt=(l<<5|l>>>27)+g+p+b+n[m]>>>0;p=c,c=d,d=a<<30|a>>>2,a=l,l=nt}s[0]=s[0]+l>>>0,s[1]=s[1]+a>>>0,s[2]=s[2]+d>>>0,s[3]=s[3]+c>>>0,s[4]=s[4]+p>>>0}let o=new Uint8Array(20);return s.forEach((i,l)=>{o[l*4]=i>>>24,o[l*4+1]=i>>>16&255,o[l*4+2]=i>>>8&255,o[l*4+3]=i&255}),o}function Re(r,e){let t=r.replace(/-/g,""),s=new Uint8Array(16);for(let a=0;a<16;a++)s[a]=parseInt(t.slice(a*2,a*2+2),16);let n=new TextEncoder().encode(e),o=new Uint8Array(16+n.length);o.set(s),o.set(n,16);let i=Ce(o).slice(0,16);i[6]=i[6]&15|80,i[8]=i[8]&63|128;let l=Array.from(i,a=>a.toString(16).padStart(2,"0")).join("");return`${l.slice(0,8)}-${l.slice(8,12)}-${l.slice(12,16)}-${l.slice(16,20)}-${l.slice(20)}`}function Me(r){if(!/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(r))return Re(Ee,r);let e=r.replace(/-/g,"").toLowerCase();return`${e.slice(0,8)}-${e.slice(8,12)}-${e.slice(12,16)}-${e.slice(16,20)}-${e.slice(20)}`}function Xt(r){return{distance:r?.length==="mi"?"mi":"km",temperature:r?.temperature==="°F"?"°F":"°C"}}function u(r){if(r==null||r==="")return null;let e=typeof r=="number"?r:Number(r);return Number.isFinite(e)?e:null}function tt(r,e){let t=u(r);return t===null?null:e.distance==="mi"?t/1.609344:t}function V(r,e){let t=u(r);return t===null?null:e.distance==="mi"?t*1.609344:t}function bt(r,e){let t=u(r);return t===null?null:e.temperature==="°F"?t*9/5+32:t}function y(r,e,t){return r===null?"—":new Intl.NumberFormat(t,{minimumFractionDigits:e,maximumFractionDigits:e}).format(r)}function D(r,e,t){let s=u(r);if(s===null)return"—";if(!e)return y(s,2,t);try{return new Intl.NumberFormat(t,{style:"currency",currency:e}).format(s)}catch{return`${y(s,2,t)} ${e}`}}function j(r){let e=u(r);if(e===null)return"—";let t=Math.round(e/60),s=Math.floor(t/60),n=t%60;return s?`${s} h ${String(n).padStart(2,"0")} min`:`${n} min`}function $t(r,e){let t=new Intl.DateTimeFormat("en-US",{timeZone:e,hourCycle:"h23",year:"numeric",month:"2-digit",day:"2-digit",hour:"2-digit",minute:"2-digit",second:"2-digit"}).formatToParts(new Date(r)),s=o=>Number(t.find(i=>i.type===o)?.value??0);return Date.UTC(s("year"),s("month")-1,s("day"),s("hour")%24,s("minute"),s("second"))-Math.floor(r/1e3)*1e3}function Q(r,e,t,s){let n=Date.UTC(r,e-1,t),o=n-$t(n,s);return o=n-$t(o,s),new Date(o)}function Zt(r,e){let t=/^(\d{4})-(\d{2})$/.exec(r);if(!t)return null;let s=Number(t[1]),n=Number(t[2]);if(n<1||n>12)return null;let o=n===12?[s+1,1]:[s,n+1];return{start:Q(s,n,1,e).toISOString(),end:Q(o[0],o[1],1,e).toISOString()}}function vt(r,e,t){let[s,n]=q(r.toISOString(),t).split("-").map(Number),o=new Date(Date.UTC(s,n-e,1)),i=new Date(Date.UTC(s,n,1));return{start:Q(o.getUTCFullYear(),o.getUTCMonth()+1,1,t).toISOString(),end:Q(i.getUTCFullYear(),i.getUTCMonth()+1,1,t).toISOString()}}function q(r,e){let t=Date.parse(r);if(Number.isNaN(t))return"";let s=new Date(t+$t(t,e));return`${s.getUTCFullYear()}-${String(s.getUTCMonth()+1).padStart(2,"0")}`}function et(r,e){let t=/^(\d{4})-(\d{2})/.exec(r);return t?new Intl.DateTimeFormat(e,{year:"numeric",month:"long",timeZone:"UTC"}).format(new Date(Date.UTC(Number(t[1]),Number(t[2])-1,1))):r}function v(r,e,t){if(!r)return"—";let s=Date.parse(r);return Number.isNaN(s)?"—":new Intl.DateTimeFormat(t,{timeZone:e,year:"numeric",month:"short",day:"numeric",hour:"2-digit",minute:"2-digit"}).format(new Date(s))}function Qt(r,e){let t=[];for(let s of r){let n=s.started_at?q(s.started_at,e):"",o=t[t.length-1];(!o||o.month!==n)&&(o={month:n,rows:[],subtotal:{month:n,count:0,energyKwh:0,cost:0,distanceKm:0,currencies:[]}},t.push(o)),o.rows.push(s);let i=o.subtotal;i.count+=1,i.energyKwh+=u(s.energy_kwh)??0,i.cost+=u(s.cost)??0,i.distanceKm+=u(s.distance_km)??0,s.currency&&!i.currencies.includes(s.currency)&&i.currencies.push(s.currency)}return t}var Pe={gap:"A source was unavailable during the record: part of it is estimated.",inferred:"Inferred across a gap in the data, not observed directly.",counter_reset:"An energy counter reset during the session; the energy was stitched.",evse_mismatch:"The car's and the wallbox's energy disagree.",capacity_estimated:"Uses a learned or default battery capacity.",site_gap:"The energy site's data is incomplete: no solar attribution.",price_gap:"No price was known for part of the energy.",restored:"Continued across a Home Assistant restart.",energy_unknown:"No method could measure the energy."};function st(r){return Pe[r]??`Flag “${r.replace(/_/g," ")}”.`}function te(r,e,t={}){let s=new URLSearchParams;for(let o of["vehicle","start","end","location"]){let i=t[o];i&&s.set(o,i)}let n=s.toString();return`/api/ev_ledger/${encodeURIComponent(r)}/${e}.csv${n?`?${n}`:""}`}function ee(r,e){let t=/filename="?([^";]+)"?/.exec(r??"");return t?t[1]:e}function xt(r,e,t,s,n=!1){let[o,i]=t,[l,a]=s,d=i>o?e.width/(i-o):0,c=a>l?e.height/(a-l):0;return r.map((p,m)=>{let g=(p.x-o)*d,b=e.height-(p.y-l)*c;return n&&m?`H${g.toFixed(1)} V${b.toFixed(1)}`:`${m?"L":"M"}${g.toFixed(1)},${b.toFixed(1)}`}).join(" ")}function U(r){if(!r.length)return[0,1];let e=Math.min(...r),t=Math.max(...r);return e===t&&(e-=.5,t+=.5),[e,t]}function wt(r){return r.place_name||r.location_override||r.location_name||r.zone||"Unknown place"}function kt(r){let e=r.start_place_name||r.start_zone||"?",t=r.end_place_name||r.end_zone||"?";return`${e} → ${t}`}function se(r){let e=new Map;for(let t of r){let s=u(t.latitude),n=u(t.longitude);if(s===null||n===null)continue;let i=t.place_name||t.location_override||t.location_name||t.zone||`${s.toFixed(3)}, ${n.toFixed(3)}`,l=`${i}|${s.toFixed(3)}|${n.toFixed(3)}`,a=e.get(l)??{name:i,latitude:0,longitude:0,energyKwh:0,sessions:0,n:0};a.latitude=(a.latitude*a.n+s)/(a.n+1),a.longitude=(a.longitude*a.n+n)/(a.n+1),a.n+=1,a.sessions+=1,a.energyKwh+=u(t.energy_kwh)??0,e.set(l,a)}return[...e.values()].map(({n:t,...s})=>s).sort((t,s)=>s.energyKwh-t.energyKwh)}function ne(r){if(!r)return"No tariff";let e=String(r.kind??"unknown").replace(/_/g," "),t=r.name?`${String(r.name)}: `:"",s=r.currency?` ${String(r.currency)}/kWh`:"/kWh",o=(Array.isArray(r.bands)?r.bands:[]).map(l=>u(l.price)).filter(l=>l!==null);if(r.kind==="price_entity")return`${t}${e} (dynamic)${r.currency?` ${String(r.currency)}`:""}`;let i=u(r.price_per_kwh??r.price);if(o.length){let l=Math.min(...o),a=Math.max(...o);return`${t}${e} ${l===a?l:`${l}–${a}`}${s}`}return i!==null?`${t}${e} ${i}${s}`:`${t}${e}`}function re(r,e,t){let s=[],n=(i,l)=>{let a=u(l);a&&s.push(`${i} ${D(a,e,t)}`)};n("energy",r.energy_cost),n("time",r.time_cost),n("session fee",r.session_fee),n("idle fee",r.idle_fee);let o=s.join(" + ")||"—";return u(r.cost_override)!==null&&(o+=" (corrected by hand)"),o}function ie(r,e){let t=new Map;for(let s of r){if(!s.started_at)continue;let n=q(s.started_at,e),o=t.get(n)??{trips:0,km:0,kwhKm:0,kwh:0,temps:[]},i=u(s.distance_km)??0,l=u(s.energy_kwh);o.trips+=1,o.km+=i,l!==null&&i>0&&(o.kwh+=l,o.kwhKm+=i);let a=u(s.outside_temp_c);a!==null&&o.temps.push(a),t.set(n,o)}return[...t.entries()].sort(([s],[n])=>s<n?-1:s>n?1:0).map(([s,n])=>({month:s,trips:n.trips,distanceKm:n.km,whPerKm:n.kwhKm>0?n.kwh*1e3/n.kwhKm:null,outsideC:n.temps.length?n.temps.reduce((o,i)=>o+i,0)/n.temps.length:null}))}var $=600,f=200;function Ne(r){let e=u(r);if(e!==null)return e;if(typeof r=="string"){let t=Date.parse(r);return Number.isNaN(t)?null:t/1e3}return null}function oe(r,e){let t=[];for(let s of r){if(s.role!==e)continue;let n=Ne(s.ts),o=u(s.value);n!==null&&o!==null&&t.push({x:n,y:o})}return t.sort((s,n)=>s.x-n.x)}function ae(r,e){let t=oe(r,"charger_power"),s=oe(r,"battery_level");if(!t.length&&!s.length)return h`<p class="muted">No samples recorded for this session's curve.</p>`;let n=U([...t,...s].map(a=>a.x)),o=[0,Math.max(1,...t.map(a=>a.y))],i=[0,100],l={width:$,height:f};return h`<figure class="chart">
    <svg viewBox="-64 -10 ${$+110} ${f+30}" role="img" aria-label="Charging curve">
      <line x1="0" y1=${f} x2=${$} y2=${f} class="axis"></line>
      <text x="-6" y="4" class="tick" text-anchor="end">${o[1].toFixed(1)} kW</text>
      <text x="-6" y=${f} class="tick" text-anchor="end">0</text>
      <text x=${$+6} y="4" class="tick">100 %</text>
      <text x="0" y=${f+18} class="tick">${e(n[0])}</text>
      <text x=${$} y=${f+18} class="tick" text-anchor="end">${e(n[1])}</text>
      ${t.length?R`<path class="curve curve-power" d=${xt(t,l,n,o,!0)}></path>`:_}
      ${s.length?R`<path class="curve curve-level" d=${xt(s,l,n,i)}></path>`:_}
    </svg>
    <figcaption>
      <span class="key power"></span> Power (kW) <span class="key level"></span> Battery
      level (%)
    </figcaption>
  </figure>`}function M(r,e,t,s){if(!r.length)return h`<p class="muted">No data yet.</p>`;let n=r.map((a,d)=>e.reduce((c,p)=>c+(p.values[d]||0),0)),o=Math.max(1e-9,...n),i=$/r.length,l=Math.max(4,i*.6);return h`<figure class="chart">
    <svg viewBox="-70 -10 ${$+80} ${f+40}" role="img" aria-label=${s}>
      <line x1="0" y1=${f} x2=${$} y2=${f} class="axis"></line>
      <text x="-6" y="4" class="tick" text-anchor="end">${o.toFixed(o<10?1:0)} ${t}</text>
      ${r.map((a,d)=>{let c=f,p=d*i+(i-l)/2;return R`<g>
          ${e.map(m=>{let g=(m.values[d]||0)/o*f;return c-=g,g>0?R`<rect class="bar ${m.className}" x=${p} y=${c} width=${l} height=${g}><title>${a}: ${m.label} ${(m.values[d]||0).toFixed(1)} ${t}</title></rect>`:_})}
          <text x=${p+l/2} y=${f+16} class="tick" text-anchor="middle">${a}</text>
        </g>`})}
    </svg>
    <figcaption>
      ${e.map(a=>h`<span class="legend"><span class="key ${a.className}"></span> ${a.label}</span> `)}
    </figcaption>
  </figure>`}function le(r,e,t,s=20){if(!r.length)return[];let n=r.map(I=>I[0]),o=r.map(I=>I[1]),[i,l]=U(n),[a,d]=U(o),c=Math.cos((i+l)/2*Math.PI/180),p=(d-a)*c,m=l-i,g=Math.min((e-2*s)/p,(t-2*s)/m),b=(e-p*g)/2,nt=(t-m*g)/2;return r.map(([I,me])=>({x:b+(me-a)*c*g,y:t-nt-(I-i)*g}))}function ce(r){let e=r.map(i=>[u(i[1]),u(i[2])]).filter(i=>i[0]!==null&&i[1]!==null);if(e.length<2)return h`<p class="muted">No route: no coordinates were recorded during this trip.</p>`;let t=le(e,$,300),s=t.map((i,l)=>`${l?"L":"M"}${i.x.toFixed(1)},${i.y.toFixed(1)}`).join(" "),n=t[0],o=t[t.length-1];return h`<figure class="chart">
    <svg viewBox="0 0 ${$} 300" role="img" aria-label="Route">
      <path class="route" d=${s}></path>
      <circle class="start" cx=${n.x} cy=${n.y} r="6"></circle>
      <circle class="end" cx=${o.x} cy=${o.y} r="6"></circle>
    </svg>
    <figcaption><span class="key start"></span> start <span class="key end"></span> end</figcaption>
  </figure>`}function he(r){if(!r.length)return h`<p class="muted">No charging sessions with coordinates in this selection.</p>`;let e=le(r.map(s=>[s.latitude,s.longitude]),$,360,50),t=Math.max(...r.map(s=>s.energyKwh),1e-9);return h`<figure class="chart">
    <svg viewBox="0 0 ${$} 360" role="img" aria-label="Charging locations">
      ${r.map((s,n)=>{let o=6+34*Math.sqrt(s.energyKwh/t);return R`<g class="place">
          <circle cx=${e[n].x} cy=${e[n].y} r=${o}><title>${s.name}: ${s.energyKwh.toFixed(1)} kWh in ${s.sessions} sessions</title></circle>
          <text x=${e[n].x} y=${e[n].y-o-4} text-anchor="middle" class="tick">${s.name}</text>
        </g>`})}
    </svg>
    <figcaption>Circles sized by the energy charged there.</figcaption>
  </figure>`}function ue(r,e,t,s){if(!r.length)return h`<p class="muted">No trips with both figures yet.</p>`;let[n,o]=U(r.map(c=>c.x)),[i,l]=U(r.map(c=>c.y)),a=c=>(c-n)/(o-n)*($-40)+20,d=c=>f-20-(c-i)/(l-i)*(f-40);return h`<figure class="chart">
    <svg viewBox="-70 -10 ${$+80} ${f+40}" role="img" aria-label=${s}>
      <line x1="0" y1=${f} x2=${$} y2=${f} class="axis"></line>
      <line x1="0" y1="0" x2="0" y2=${f} class="axis"></line>
      <text x="-6" y="24" class="tick" text-anchor="end">${l.toFixed(0)} ${t}</text>
      <text x="-6" y=${f-16} class="tick" text-anchor="end">${i.toFixed(0)}</text>
      <text x="20" y=${f+16} class="tick">${n.toFixed(1)} ${e}</text>
      <text x=${$-20} y=${f+16} class="tick" text-anchor="end">${o.toFixed(1)} ${e}</text>
      ${r.map(c=>R`<g class="point">
          <circle class="dot" cx=${a(c.x)} cy=${d(c.y)} r="6"><title>${c.label}: ${c.y.toFixed(0)} ${t} at ${c.x.toFixed(1)} ${e}</title></circle>
          <text x=${a(c.x)} y=${d(c.y)-10} class="tick" text-anchor="middle">${c.label}</text>
        </g>`)}
    </svg>
    <figcaption>Each month's driving efficiency against its mean outside temperature.</figcaption>
  </figure>`}var de=O`
  :host {
    color: var(--primary-text-color, #212121);
    font-family: var(--paper-font-body1_-_font-family, Roboto, sans-serif);
  }
  .muted {
    color: var(--secondary-text-color, #727272);
  }
  .error {
    color: var(--error-color, #db4437);
  }
  button,
  select,
  input,
  textarea {
    font: inherit;
    color: inherit;
  }
  button {
    cursor: pointer;
    border: 1px solid var(--divider-color, #ccc);
    background: var(--card-background-color, #fff);
    border-radius: 6px;
    padding: 6px 12px;
  }
  button.primary {
    background: var(--primary-color, #03a9f4);
    color: var(--text-primary-color, #fff);
    border-color: transparent;
  }
  button.danger {
    background: var(--error-color, #db4437);
    color: #fff;
    border-color: transparent;
  }
  select,
  input,
  textarea {
    background: var(--card-background-color, #fff);
    border: 1px solid var(--divider-color, #ccc);
    border-radius: 6px;
    padding: 6px 8px;
    min-width: 0;
  }
  table {
    border-collapse: collapse;
    width: 100%;
    white-space: nowrap;
  }
  th,
  td {
    text-align: left;
    padding: 6px 10px;
    border-bottom: 1px solid var(--divider-color, #e0e0e0);
  }
  td.num,
  th.num {
    text-align: right;
    font-variant-numeric: tabular-nums;
  }
  tr.row {
    cursor: pointer;
  }
  tr.row:hover {
    background: var(--secondary-background-color, #f5f5f5);
  }
  tr.subtotal td {
    font-weight: 500;
    background: var(--secondary-background-color, #f5f5f5);
  }
  .chart svg {
    width: 100%;
    height: auto;
  }
  .chart {
    margin: 0;
  }
  .axis {
    stroke: var(--divider-color, #bbb);
  }
  .tick {
    font-size: 12px;
    fill: var(--secondary-text-color, #727272);
  }
  .curve {
    fill: none;
    stroke-width: 2;
  }
  .curve-power {
    stroke: var(--primary-color, #03a9f4);
  }
  .curve-level {
    stroke: var(--success-color, #43a047);
  }
  .route {
    fill: none;
    stroke: var(--primary-color, #03a9f4);
    stroke-width: 3;
  }
  circle.start,
  .key.start {
    fill: var(--success-color, #43a047);
    background: var(--success-color, #43a047);
  }
  circle.end,
  .key.end {
    fill: var(--error-color, #db4437);
    background: var(--error-color, #db4437);
  }
  .dot {
    fill: #00897b;
  }
  .place circle {
    fill: var(--primary-color, #03a9f4);
    fill-opacity: 0.45;
    stroke: var(--primary-color, #03a9f4);
  }
  .bar.solar,
  .key.solar {
    fill: #fbc02d;
    background: #fbc02d;
  }
  .bar.battery,
  .key.battery {
    fill: #8e24aa;
    background: #8e24aa;
  }
  .bar.from-grid,
  .key.from-grid {
    fill: #607d8b;
    background: #607d8b;
  }
  .bar.energy,
  .key.energy {
    fill: var(--primary-color, #03a9f4);
    background: var(--primary-color, #03a9f4);
  }
  .bar.cost,
  .key.cost {
    fill: #ef6c00;
    background: #ef6c00;
  }
  .bar.efficiency,
  .key.efficiency {
    fill: #00897b;
    background: #00897b;
  }
  .key {
    display: inline-block;
    width: 10px;
    height: 10px;
    border-radius: 2px;
    margin-left: 8px;
  }
  .key.power {
    background: var(--primary-color, #03a9f4);
  }
  .key.level {
    background: var(--success-color, #43a047);
  }
  .legend {
    white-space: nowrap;
  }
  figcaption {
    font-size: 13px;
    color: var(--secondary-text-color, #727272);
  }
`;var De=[["sessions","Sessions"],["trips","Trips"],["charts","Charts"],["map","Map"]];function pe(r,e){return`${r} ${e}${r===1?"":"s"}`}var G=class extends k{constructor(){super();this._started=!1;this._request=0;this.narrow=!1,this._entries=null,this._entryId=null,this._vehicles=[],this._tab="sessions",this._vehicle="",this._month="",this._offset=0,this._sessions=[],this._trips=[],this._total=0,this._hasMore=!1,this._loading=!1,this._error=null,this._summary=null,this._session=null,this._trip=null,this._confirmDelete=!1,this._saving=!1,this._message=null,this._mapRows=null,this._location="",this._sort="started_at",this._chartTrips=null}get _units(){return Xt(this.hass?.config?.unit_system)}get _tz(){return this.hass?.config?.time_zone||Intl.DateTimeFormat().resolvedOptions().timeZone}get _locale(){return this.hass?.locale?.language||this.hass?.language}get _currency(){return this._summary?.currency||this.hass?.config?.currency}get _isAdmin(){return!!this.hass?.user?.is_admin}updated(){this.hass&&!this._started&&(this._started=!0,this._start())}async _start(){try{let t=await Vt(this.hass);this._entries=t;let s=t.find(n=>n.state==="loaded")??t[0];s&&await this._selectEntry(s.entry_id)}catch(t){this._error=this._errorText(t)}}_errorText(t){return t&&typeof t=="object"&&"message"in t?String(t.message):String(t)}async _selectEntry(t){this._entryId=t,this._vehicle="",this._location="",this._offset=0,this._session=null,this._trip=null,this._vehicles=[],await Promise.all([this._loadRows(),this._loadVehicles(),this._loadSummary()])}async _loadVehicles(){if(this._entryId)try{this._vehicles=await jt(this.hass,this._entryId)}catch{this._vehicles=[]}}async _loadSummary(){if(this._entryId)try{this._summary=await Gt(this.hass,this._entryId,this._vehicle||null,vt(new Date,12,this._tz))}catch{this._summary=null}}_period(){return(this._month?Zt(this._month,this._tz):null)??{}}async _loadRows(){if(!this._entryId)return;let t=this._tab==="trips"?"trips":"sessions",s=++this._request;this._loading=!0,this._error=null;try{let n=await ft(this.hass,t,this._entryId,{vehicle:this._vehicle||null,location:this._location||null,sort:this._tab==="map"?null:this._sortFor(t),...this._period(),offset:this._tab==="map"?0:this._offset,limit:this._tab==="map"?200:50});if(s!==this._request)return;this._tab==="map"?this._mapRows=n.rows:t==="trips"?this._trips=n.rows:this._sessions=n.rows,this._total=n.total,this._hasMore=n.hasMore}catch(n){s===this._request&&(this._error=this._errorText(n))}finally{s===this._request&&(this._loading=!1)}}_sortFor(t){return(t==="trips"?["energy_kwh","distance_km"]:["energy_kwh","cost"]).includes(this._sort)?this._sort:null}_setTab(t){this._tab=t,this._sort="started_at",this._offset=0,this._session=null,this._trip=null,t!=="charts"?this._loadRows():this._loadChartTrips()}async _loadChartTrips(){if(this._entryId)try{let t=await ft(this.hass,"trips",this._entryId,{vehicle:this._vehicle||null,...vt(new Date,12,this._tz),limit:200});this._chartTrips=t.rows}catch{this._chartTrips=[]}}_filterChanged(){this._tab==="charts"&&this._loadChartTrips(),this._offset=0,this._loadRows(),this._loadSummary()}_vehicleName(t){return this._vehicles.find(s=>s.rowId===t)?.name??""}render(){return h`
      <div class="toolbar">
        ${customElements.get("ha-menu-button")?h`<ha-menu-button .hass=${this.hass} .narrow=${this.narrow}></ha-menu-button>`:_}
        <div class="title">EV Ledger</div>
      </div>
      <main>${this._renderBody()}</main>
    `}_renderBody(){return this._entries===null?this._error?h`<p class="error">${this._error}</p>`:h`<p class="muted">Loading…</p>`:this._entries.length?h`
      ${this._renderTabs()} ${this._renderFilters()}
      ${this._message?h`<p class="message" role="status">${this._message}</p>`:_}
      ${this._error?h`<p class="error">${this._error}</p>`:_}
      ${this._session?this._renderSession(this._session):this._trip?this._renderTrip(this._trip):this._renderTab()}
    `:h`<p>No EV Ledger is set up yet: add the integration under Settings →
        Devices &amp; services.</p>`}_renderTabs(){return h`<nav class="tabs" role="tablist">
      ${De.map(([t,s])=>h`<button
            role="tab"
            class="tab ${this._tab===t?"active":""}"
            aria-selected=${this._tab===t?"true":"false"}
            data-tab=${t}
            @click=${()=>this._setTab(t)}
          >
            ${s}
          </button>`)}
    </nav>`}_renderFilters(){let t=this._entries??[];return h`<div class="filters">
      ${t.length>1?h`<label
            >Ledger
            <select
              id="entry"
              @change=${s=>this._selectEntry(s.target.value)}
            >
              ${t.map(s=>h`<option value=${s.entry_id} ?selected=${s.entry_id===this._entryId}>
                    ${s.title}
                  </option>`)}
            </select></label
          >`:_}
      <label
        >Vehicle
        <select
          id="vehicle"
          .value=${this._vehicle}
          @change=${s=>{this._vehicle=s.target.value,this._filterChanged()}}
        >
          <option value="" ?selected=${!this._vehicle}>All vehicles</option>
          ${this._vehicles.map(s=>h`<option value=${s.id} ?selected=${s.id===this._vehicle}>${s.name}</option>`)}
        </select></label
      >
      <label
        >Month
        <input
          id="month"
          type="month"
          .value=${this._month}
          @change=${s=>{this._month=s.target.value,this._filterChanged()}}
      /></label>
      ${this._summary?.locations?.length&&this._tab!=="charts"?h`<label
            >Location
            <select
              id="location"
              @change=${s=>{this._location=s.target.value,this._filterChanged()}}
            >
              <option value="" ?selected=${!this._location}>All places</option>
              ${this._summary.locations.map(s=>h`<option value=${s.location} ?selected=${s.location===this._location}>
                    ${s.name||s.location}
                  </option>`)}
            </select></label
          >`:_}
      ${this._tab==="sessions"||this._tab==="trips"?h`<label
            >Sort
            <select
              id="sort"
              @change=${s=>{this._sort=s.target.value,this._filterChanged()}}
            >
              ${(this._tab==="trips"?[["started_at","Newest first"],["distance_km","Longest first"],["energy_kwh","Most energy first"]]:[["started_at","Newest first"],["energy_kwh","Most energy first"],["cost","Highest cost first"]]).map(([s,n])=>h`<option value=${s} ?selected=${s===this._sort}>${n}</option>`)}
            </select></label
          >`:_}
      ${this._month||this._vehicle||this._location?h`<button
            id="clear"
            @click=${()=>{this._month="",this._vehicle="",this._location="",this._filterChanged()}}
          >
            Clear filters
          </button>`:_}
      <button id="download" @click=${this._download}>Download CSV</button>
    </div>`}_renderTab(){switch(this._tab){case"trips":return this._renderTrips();case"charts":return this._renderCharts();case"map":return this._renderMap();default:return this._renderSessions()}}_monthTotals(t){return this._summary?.months.find(s=>s.month.slice(0,7)===t)}_subtotalRow(t,s,n){if(t===null)return _;let o=this._monthTotals(t.month),i=this._units,l=t.month?et(t.month,this._locale):"Undated",a;if(s==="sessions"){let d=o&&!this._month&&!this._location?o.sessions:t.count,c=o&&!this._month&&!this._location?u(o.energy_kwh):t.energyKwh,p=o&&!this._month&&!this._location?u(o.cost):t.cost;a=`${pe(d,"session")} · ${y(c,1,this._locale)} kWh · ${D(p,t.currencies[0]||this._currency,this._locale)}`}else{let d=o&&!this._month&&!this._location?o.trips:t.count,c=o&&!this._month&&!this._location?u(o.distance_km):t.distanceKm;a=`${pe(d,"trip")} · ${y(tt(c,i),0,this._locale)} ${i.distance}`}return h`<tr class="subtotal" data-month=${t.month}>
      <td colspan=${n}>${l}: ${a}</td>
    </tr>`}_pager(){let t=this._total?this._offset+1:0,s=this._tab==="trips"?this._trips.length:this._sessions.length;return h`<div class="pager">
      <button
        id="prev"
        ?disabled=${this._offset===0||this._loading}
        @click=${()=>{this._offset=Math.max(0,this._offset-50),this._loadRows()}}
      >
        Newer
      </button>
      <span class="muted">${t}–${this._offset+s} of ${this._total}</span>
      <button
        id="next"
        ?disabled=${!this._hasMore||this._loading}
        @click=${()=>{this._offset+=50,this._loadRows()}}
      >
        Older
      </button>
    </div>`}_renderSessions(){if(!this._sessions.length)return h`<p class="muted empty">${this._loading?"Loading…":"No sessions in this selection."}</p>`;let t=this._vehicles.length>1,s=t?8:7,n=this._grouped(this._sessions);return h`<div class="card">
      <div class="table-wrap">
        <table id="sessions">
          <thead>
            <tr>
              <th>Started</th>
              ${t?h`<th>Vehicle</th>`:_}
              <th>Location</th>
              <th class="num">Energy (kWh)</th>
              <th class="num">Duration</th>
              <th class="num">Battery</th>
              <th class="num">Cost</th>
              <th class="num">Solar</th>
            </tr>
          </thead>
          <tbody>
            ${n.map(o=>h`${this._subtotalRow(o.subtotal,"sessions",s)}
              ${o.rows.map(i=>h`<tr
                  class="row"
                  data-id=${i.id}
                  data-status=${i.status??""}
                  data-month=${i.started_at?q(i.started_at,this._tz):""}
                  tabindex="0"
                  @click=${()=>this._openSession(i.id)}
                  @keydown=${l=>l.key==="Enter"&&this._openSession(i.id)}
                >
                  <td>${v(i.started_at,this._tz,this._locale)}</td>
                  ${t?h`<td>${this._vehicleName(i.vehicle_id)}</td>`:_}
                  <td>${wt(i)}${i.flags?.length?h` <span title=${i.flags.map(st).join(`
`)}>⚠</span>`:_}</td>
                  <td class="num">${y(u(i.energy_kwh),2,this._locale)}</td>
                  <td class="num">${j(i.charging_seconds)}</td>
                  <td class="num">${this._levels(i)}</td>
                  <td class="num">${D(i.cost,i.currency||this._currency,this._locale)}</td>
                  <td class="num">${this._share(i.solar_share)}</td>
                </tr>`)}`)}
          </tbody>
        </table>
      </div>
      ${this._pager()}
    </div>`}_grouped(t){return this._sort==="started_at"?Qt(t,this._tz):[{month:"",rows:t,subtotal:null}]}_levels(t){let s=u(t.start_level),n=u(t.end_level);return s===null&&n===null?"—":`${s===null?"?":Math.round(s)} → ${n===null?"?":Math.round(n)} %`}_share(t){let s=u(t);return s===null?"—":`${Math.round(s*100)} %`}_renderTrips(){if(!this._trips.length)return h`<p class="muted empty">${this._loading?"Loading…":"No trips in this selection."}</p>`;let t=this._units,s=this._vehicles.length>1,n=s?8:7;return h`<div class="card">
      <div class="table-wrap">
        <table id="trips">
          <thead>
            <tr>
              <th>Started</th>
              ${s?h`<th>Vehicle</th>`:_}
              <th>From → to</th>
              <th class="num">Distance (${t.distance})</th>
              <th class="num">Duration</th>
              <th class="num">Energy (kWh)</th>
              <th class="num">Efficiency (Wh/${t.distance})</th>
              <th class="num">Outside</th>
            </tr>
          </thead>
          <tbody>
            ${this._grouped(this._trips).map(o=>h`${this._subtotalRow(o.subtotal,"trips",n)}
              ${o.rows.map(i=>h`<tr class="row" data-id=${i.id} tabindex="0" @click=${()=>this._openTrip(i.id)}>
                  <td>${v(i.started_at,this._tz,this._locale)}</td>
                  ${s?h`<td>${this._vehicleName(i.vehicle_id)}</td>`:_}
                  <td>${kt(i)}</td>
                  <td class="num">${y(tt(i.distance_km,t),1,this._locale)}</td>
                  <td class="num">${j(i.duration_seconds)}</td>
                  <td class="num">${y(u(i.energy_kwh),2,this._locale)}</td>
                  <td class="num">${y(V(i.efficiency_wh_km,t),0,this._locale)}</td>
                  <td class="num">${this._temp(i.outside_temp_c)}</td>
                </tr>`)}`)}
          </tbody>
        </table>
      </div>
      ${this._pager()}
    </div>`}_temp(t){let s=bt(t,this._units);return s===null?"—":`${y(s,1,this._locale)} ${this._units.temperature}`}_renderCharts(){let t=this._summary?.months??[],s=t.map(c=>et(c.month,this._locale).split(" ")[0].slice(0,3)),n=t.map(c=>u(c.solar_kwh)??0),o=t.map(c=>u(c.battery_kwh)??0),i=t.map(c=>u(c.grid_kwh)??Math.max(0,(u(c.energy_kwh)??0)-(u(c.solar_kwh)??0))),l=o.some(c=>c>0),a=this._units,d=t.map(c=>{let p=u(c.distance_km),m=u(c.trip_energy_kwh);return p&&m?V(m*1e3/p,a)??0:0});return h`<div class="grid">
      <section class="card">
        <h2>Energy per month</h2>
        ${M(s,[{label:"Solar",className:"solar",values:n},...l?[{label:"Home battery",className:"battery",values:o}]:[],{label:l?"Grid":"Grid and home battery",className:"from-grid",values:i}],"kWh","Energy per month")}
      </section>
      <section class="card">
        <h2>Cost per month</h2>
        ${M(s,[{label:`Cost (${this._currency??""})`,className:"cost",values:t.map(c=>u(c.cost)??0)}],this._currency??"","Cost per month")}
      </section>
      ${this._renderBreakdown()}
      <section class="card">
        <h2>Driving efficiency per month</h2>
        ${M(s,[{label:`Wh/${a.distance}`,className:"efficiency",values:d}],`Wh/${a.distance}`,"Efficiency per month")}
        ${this._chartTrips===null?_:ue(ie(this._chartTrips,this._tz).filter(c=>c.whPerKm!==null&&c.outsideC!==null).map(c=>({x:bt(c.outsideC,a)??0,y:V(c.whPerKm,a)??0,label:et(c.month,this._locale).split(" ")[0].slice(0,3)})),a.temperature,`Wh/${a.distance}`,"Efficiency against outside temperature")}
      </section>
    </div>`}_renderBreakdown(){let t=this._summary?.sources,s=(this._summary?.locations??[]).slice(0,8),o=(t?[["Solar","solar",u(t.solar_kwh)??0],["Home battery","battery",u(t.battery_kwh)??0],["Grid","from-grid",u(t.grid_kwh)??0],["Unattributed","energy",u(t.unattributed_kwh)??0]]:[]).filter(([,,i])=>i>0);return h`${o.length?h`<section class="card">
            <h2>Energy by source (12 months)</h2>
            ${M(o.map(([i])=>i),o.map(([i,l,a],d)=>({label:i,className:l,values:o.map((c,p)=>d===p?a:0)})),"kWh","Energy by source")}
          </section>`:_}
      ${s.length?h`<section class="card">
            <h2>Energy and cost by location (12 months)</h2>
            ${M(s.map(i=>i.name||i.location),[{label:"Solar",className:"solar",values:s.map(i=>u(i.solar_kwh)??0)},{label:"Other",className:"from-grid",values:s.map(i=>(u(i.energy_kwh)??0)-(u(i.solar_kwh)??0))}],"kWh","Energy by location")}
            ${M(s.map(i=>i.name||i.location),[{label:`Cost (${this._currency??""})`,className:"cost",values:s.map(i=>u(i.cost)??0)}],this._currency??"","Cost by location")}
          </section>`:_}`}_renderMap(){let t=this._mapRows??[],s=se(t);return h`<div class="grid">
      <section class="card">
        <h2>Charging locations</h2>
        ${this._mapRows===null?h`<p class="muted">Loading…</p>`:he(s)}
      </section>
      <section class="card">
        <h2>Places</h2>
        <div class="table-wrap">
          <table id="places">
            <thead>
              <tr><th>Place</th><th class="num">Sessions</th><th class="num">Energy (kWh)</th></tr>
            </thead>
            <tbody>
              ${s.map(n=>h`<tr>
                  <td>${n.name}</td>
                  <td class="num">${n.sessions}</td>
                  <td class="num">${y(n.energyKwh,1,this._locale)}</td>
                </tr>`)}
            </tbody>
          </table>
        </div>
        ${this._total>t.length?h`<p class="muted">The newest ${t.length} of ${this._total} sessions.</p>`:_}
      </section>
    </div>`}async _openSession(t){if(this._entryId){this._message=null,this._confirmDelete=!1;try{this._session=await yt(this.hass,this._entryId,t)}catch(s){this._error=this._errorText(s)}}}async _openTrip(t){if(this._entryId){this._message=null;try{this._trip=await qt(this.hass,this._entryId,t)}catch(s){this._error=this._errorText(s)}}}_back(){this._session=null,this._trip=null,this._confirmDelete=!1,this._loadRows()}_fact(t,s){return h`<div class="fact"><span class="muted">${t}</span><span>${s}</span></div>`}_renderSession(t){let s=t.currency||this._currency,n=i=>v(new Date(i*1e3).toISOString(),this._tz,this._locale),o=t.flags??[];return h`<div class="detail" id="session-detail">
      <button class="back" @click=${this._back}>← Back</button>
      <div class="grid">
        <section class="card">
          <h2>Session at ${wt(t)}</h2>
          <div class="facts">
            ${this._fact("Vehicle",this._vehicleName(t.vehicle_id)||"—")}
            ${this._fact("Started",v(t.started_at,this._tz,this._locale))}
            ${this._fact("Ended",v(t.ended_at,this._tz,this._locale))}
            ${this._fact("Energy",`${y(u(t.energy_kwh),2,this._locale)} kWh`)}
            ${this._fact("Charging time",j(t.charging_seconds))}
            ${this._fact("Battery",this._levels(t))}
            ${this._fact("Peak power",`${y(u(t.power_max_kw),1,this._locale)} kW`)}
            ${this._fact("Cost",D(t.cost,s,this._locale))}
            ${this._fact("Tariff",ne(t.tariff))}
            ${this._fact("Cost breakdown",re(t,s,this._locale))}
            ${[t.solar_kwh,t.battery_kwh,t.grid_kwh].some(i=>u(i)!==null)?this._fact("Energy sources",`solar ${y(u(t.solar_kwh),1,this._locale)} · battery ${y(u(t.battery_kwh),1,this._locale)} · grid ${y(u(t.grid_kwh),1,this._locale)} kWh`):_}
            ${t.notes?this._fact("Notes",t.notes):_}
            ${this._fact("Status",`${t.status??"—"} (${t.source??"live"})`)}
          </div>
        </section>
        <section class="card">
          <h2>Charging curve</h2>
          ${ae(t.samples??[],n)}
        </section>
        <section class="card">
          <h2>Charging windows</h2>
          ${t.windows?.length?h`<ul class="windows">
                ${t.windows.map(i=>h`<li>
                      ${v(i.started_at,this._tz,this._locale)} –
                      ${v(i.ended_at,this._tz,this._locale)}:
                      ${y(u(i.energy_kwh),2,this._locale)} kWh
                    </li>`)}
              </ul>`:h`<p class="muted">No windows recorded.</p>`}
          <h2>Data quality</h2>
          ${o.length?h`<ul class="flags">
                ${o.map(i=>h`<li data-flag=${i}>${st(i)}</li>`)}
              </ul>`:h`<p class="muted">Measured without gaps.</p>`}
        </section>
        ${this._renderEdit(t)}
      </div>
    </div>`}_renderEdit(t){return this._isAdmin?h`<section class="card">
      <h2>Correct this session</h2>
      <form class="edit" @submit=${this._save}>
        <label
          >Cost (${t.currency||this._currency||""})
          <input
            name="cost"
            type="number"
            step="0.01"
            min="0"
            .value=${t.cost_override===null||t.cost_override===void 0?"":String(u(t.cost_override)??"")}
            placeholder=${D(t.cost,t.currency||this._currency,this._locale)}
        /></label>
        <label
          >Location
          <input
            name="location"
            maxlength="200"
            .value=${t.location_override??""}
            placeholder=${t.location_name??""}
        /></label>
        <label
          >Notes
          <textarea name="notes" rows="3" maxlength="10000" .value=${t.notes??""}></textarea>
        </label>
        <div class="actions">
          <button class="primary" type="submit" id="save" ?disabled=${this._saving}>Save</button>
          ${this._confirmDelete?h`<span>Delete this session for good?</span>
                <button type="button" class="danger" id="confirm-delete" @click=${this._delete}>
                  Delete
                </button>
                <button type="button" @click=${()=>this._confirmDelete=!1}>Cancel</button>`:h`<button type="button" id="delete" @click=${()=>this._confirmDelete=!0}>
                Delete…
              </button>`}
        </div>
      </form>
    </section>`:h`<section class="card">
        <h2>Notes</h2>
        <p>${t.notes||h`<span class="muted">None</span>`}</p>
      </section>`}async _save(t){t.preventDefault();let s=this._session;if(!s||!this._entryId)return;let n=t.target,o=l=>n.elements.namedItem(l)?.value.trim()??"",i=o("cost");this._saving=!0,this._message=null;try{await Yt(this.hass,this._entryId,s.id,{cost:i===""?null:Number(i),location:o("location")||null,notes:o("notes")||null}),this._session=await yt(this.hass,this._entryId,s.id),this._message="Saved.",this._loadSummary()}catch(l){this._error=this._errorText(l)}finally{this._saving=!1}}async _delete(){let t=this._session;if(!(!t||!this._entryId))try{await Jt(this.hass,this._entryId,t.id),this._message="Session deleted.",this._back(),this._loadSummary()}catch(s){this._error=this._errorText(s)}}_renderTrip(t){let s=this._units;return h`<div class="detail" id="trip-detail">
      <button class="back" @click=${this._back}>← Back</button>
      <div class="grid">
        <section class="card">
          <h2>Trip ${kt(t)}</h2>
          <div class="facts">
            ${this._fact("Vehicle",this._vehicleName(t.vehicle_id)||"—")}
            ${this._fact("Started",v(t.started_at,this._tz,this._locale))}
            ${this._fact("Ended",v(t.ended_at,this._tz,this._locale))}
            ${this._fact("Distance",`${y(tt(t.distance_km,s),1,this._locale)} ${s.distance}`)}
            ${this._fact("Energy",`${y(u(t.energy_kwh),2,this._locale)} kWh`)}
            ${this._fact("Efficiency",`${y(V(t.efficiency_wh_km,s),0,this._locale)} Wh/${s.distance}`)}
            ${this._fact("Outside temperature",this._temp(t.outside_temp_c))}
            ${this._fact("Duration",j(t.duration_seconds))}
          </div>
          ${t.flags?.length?h`<ul class="flags">${t.flags.map(n=>h`<li>${st(n)}</li>`)}</ul>`:_}
        </section>
        <section class="card">
          <h2>Route</h2>
          ${ce(t.route??[])}
        </section>
      </div>
    </div>`}async _download(){if(!this._entryId)return;let t=this._tab==="trips"?"trips":"sessions",s=te(this._entryId,t,{vehicle:this._vehicle,location:this._location,...this._period()});try{if(!this.hass.fetchWithAuth)throw new Error("Downloads need a newer Home Assistant");let n=await this.hass.fetchWithAuth(s);if(!n.ok)throw new Error(`Download failed: ${n.status}`);let o=await n.blob(),i=document.createElement("a");i.href=URL.createObjectURL(o),i.download=ee(n.headers.get("Content-Disposition"),`${t}.csv`),document.body.appendChild(i),i.click(),i.remove(),setTimeout(()=>URL.revokeObjectURL(i.href),1e4)}catch(n){this._error=this._errorText(n)}}};G.properties={hass:{attribute:!1},narrow:{type:Boolean},route:{attribute:!1},panel:{attribute:!1},_entries:{state:!0},_entryId:{state:!0},_vehicles:{state:!0},_tab:{state:!0},_vehicle:{state:!0},_month:{state:!0},_offset:{state:!0},_sessions:{state:!0},_trips:{state:!0},_total:{state:!0},_hasMore:{state:!0},_loading:{state:!0},_error:{state:!0},_summary:{state:!0},_session:{state:!0},_trip:{state:!0},_confirmDelete:{state:!0},_saving:{state:!0},_message:{state:!0},_mapRows:{state:!0},_location:{state:!0},_sort:{state:!0},_chartTrips:{state:!0}},G.styles=[de,O`
      :host {
        display: block;
        background: var(--primary-background-color, #fafafa);
        min-height: 100vh;
      }
      .toolbar {
        display: flex;
        align-items: center;
        height: var(--header-height, 56px);
        padding: 0 12px;
        background: var(--app-header-background-color, var(--primary-color, #03a9f4));
        color: var(--app-header-text-color, #fff);
        font-size: 20px;
      }
      .title {
        margin-left: 12px;
      }
      main {
        padding: 12px;
        max-width: 1200px;
        margin: 0 auto;
      }
      .tabs {
        display: flex;
        gap: 4px;
        border-bottom: 1px solid var(--divider-color, #e0e0e0);
        margin-bottom: 12px;
        overflow-x: auto;
      }
      .tab {
        border: none;
        border-radius: 0;
        background: none;
        padding: 10px 16px;
        border-bottom: 2px solid transparent;
      }
      .tab.active {
        border-bottom-color: var(--primary-color, #03a9f4);
        color: var(--primary-color, #03a9f4);
      }
      .filters {
        display: flex;
        flex-wrap: wrap;
        gap: 8px 12px;
        align-items: end;
        margin-bottom: 12px;
      }
      .filters label {
        display: flex;
        flex-direction: column;
        font-size: 13px;
        color: var(--secondary-text-color, #727272);
        gap: 2px;
      }
      .card {
        background: var(--card-background-color, #fff);
        border-radius: var(--ha-card-border-radius, 12px);
        box-shadow: var(--ha-card-box-shadow, 0 1px 3px rgba(0, 0, 0, 0.12));
        border: var(--ha-card-border-width, 1px) solid var(--ha-card-border-color, var(--divider-color, #e0e0e0));
        padding: 12px;
        min-width: 0;
      }
      .card h2 {
        font-size: 16px;
        font-weight: 500;
        margin: 4px 0 12px;
      }
      .table-wrap {
        overflow-x: auto;
        -webkit-overflow-scrolling: touch;
      }
      .grid {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(min(100%, 420px), 1fr));
        gap: 12px;
      }
      .pager {
        display: flex;
        gap: 12px;
        align-items: center;
        justify-content: flex-end;
        padding-top: 8px;
      }
      .facts {
        display: grid;
        grid-template-columns: 1fr;
        gap: 6px;
      }
      .fact {
        display: flex;
        justify-content: space-between;
        gap: 12px;
      }
      .fact span:last-child {
        text-align: right;
      }
      .back {
        margin-bottom: 12px;
      }
      .edit {
        display: flex;
        flex-direction: column;
        gap: 10px;
      }
      .edit label {
        display: flex;
        flex-direction: column;
        gap: 4px;
      }
      .actions {
        display: flex;
        flex-wrap: wrap;
        gap: 8px;
        align-items: center;
      }
      .message {
        color: var(--success-color, #43a047);
      }
      ul {
        padding-left: 20px;
        margin: 0 0 12px;
      }
    `];customElements.get("ev-ledger-panel")||customElements.define("ev-ledger-panel",G);export{G as EvLedgerPanel};
