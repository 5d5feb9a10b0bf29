var L=globalThis,I=L.ShadowRoot&&(L.ShadyCSS===void 0||L.ShadyCSS.nativeShadow)&&"adoptedStyleSheets"in Document.prototype&&"replace"in CSSStyleSheet.prototype,j=Symbol(),ht=new WeakMap,T=class{constructor(t,e,n){if(this._$cssResult$=!0,n!==j)throw Error("CSSResult is not constructable. Use `unsafeCSS` or `css` instead.");this.cssText=t,this.t=e}get styleSheet(){let t=this.o,e=this.t;if(I&&t===void 0){let n=e!==void 0&&e.length===1;n&&(t=ht.get(e)),t===void 0&&((this.o=t=new CSSStyleSheet).replaceSync(this.cssText),n&&ht.set(e,t))}return t}toString(){return this.cssText}},pt=r=>new T(typeof r=="string"?r:r+"",void 0,j),S=(r,...t)=>{let e=r.length===1?r[0]:t.reduce((n,s,i)=>n+(o=>{if(o._$cssResult$===!0)return o.cssText;if(typeof o=="number")return o;throw Error("Value passed to 'css' function must be a 'css' function result: "+o+". Use 'unsafeCSS' to pass non-literal values, but take care to ensure page security.")})(s)+r[i+1],r[0]);return new T(e,r,j)},gt=(r,t)=>{if(I)r.adoptedStyleSheets=t.map(e=>e instanceof CSSStyleSheet?e:e.styleSheet);else for(let e of t){let n=document.createElement("style"),s=L.litNonce;s!==void 0&&n.setAttribute("nonce",s),n.textContent=e.cssText,r.appendChild(n)}},B=I?r=>r:r=>r instanceof CSSStyleSheet?(t=>{let e="";for(let n of t.cssRules)e+=n.cssText;return pt(e)})(r):r;var{is:It,defineProperty:zt,getOwnPropertyDescriptor:Ft,getOwnPropertyNames:Kt,getOwnPropertySymbols:Wt,getPrototypeOf:Vt}=Object,z=globalThis,mt=z.trustedTypes,jt=mt?mt.emptyScript:"",Bt=z.reactiveElementPolyfillSupport,M=(r,t)=>r,q={toAttribute(r,t){switch(t){case Boolean:r=r?jt:null;break;case Object:case Array:r=r==null?r:JSON.stringify(r)}return r},fromAttribute(r,t){let e=r;switch(t){case Boolean:e=r!==null;break;case Number:e=r===null?null:Number(r);break;case Object:case Array:try{e=JSON.parse(r)}catch{e=null}}return e}},_t=(r,t)=>!It(r,t),ft={attribute:!0,type:String,converter:q,reflect:!1,useDefault:!1,hasChanged:_t};Symbol.metadata??=Symbol("metadata"),z.litPropertyMetadata??=new WeakMap;var f=class extends HTMLElement{static addInitializer(t){this._$Ei(),(this.l??=[]).push(t)}static get observedAttributes(){return this.finalize(),this._$Eh&&[...this._$Eh.keys()]}static createProperty(t,e=ft){if(e.state&&(e.attribute=!1),this._$Ei(),this.prototype.hasOwnProperty(t)&&((e=Object.create(e)).wrapped=!0),this.elementProperties.set(t,e),!e.noAccessor){let n=Symbol(),s=this.getPropertyDescriptor(t,n,e);s!==void 0&&zt(this.prototype,t,s)}}static getPropertyDescriptor(t,e,n){let{get:s,set:i}=Ft(this.prototype,t)??{get(){return this[e]},set(o){this[e]=o}};return{get:s,set(o){let l=s?.call(this);i?.call(this,o),this.requestUpdate(t,l,n)},configurable:!0,enumerable:!0}}static getPropertyOptions(t){return this.elementProperties.get(t)??ft}static _$Ei(){if(this.hasOwnProperty(M("elementProperties")))return;let t=Vt(this);t.finalize(),t.l!==void 0&&(this.l=[...t.l]),this.elementProperties=new Map(t.elementProperties)}static finalize(){if(this.hasOwnProperty(M("finalized")))return;if(this.finalized=!0,this._$Ei(),this.hasOwnProperty(M("properties"))){let e=this.properties,n=[...Kt(e),...Wt(e)];for(let s of n)this.createProperty(s,e[s])}let t=this[Symbol.metadata];if(t!==null){let e=litPropertyMetadata.get(t);if(e!==void 0)for(let[n,s]of e)this.elementProperties.set(n,s)}this._$Eh=new Map;for(let[e,n]of this.elementProperties){let s=this._$Eu(e,n);s!==void 0&&this._$Eh.set(s,e)}this.elementStyles=this.finalizeStyles(this.styles)}static finalizeStyles(t){let e=[];if(Array.isArray(t)){let n=new Set(t.flat(1/0).reverse());for(let s of n)e.unshift(B(s))}else t!==void 0&&e.push(B(t));return e}static _$Eu(t,e){let n=e.attribute;return n===!1?void 0:typeof n=="string"?n:typeof t=="string"?t.toLowerCase():void 0}constructor(){super(),this._$Ep=void 0,this.isUpdatePending=!1,this.hasUpdated=!1,this._$Em=null,this._$Ev()}_$Ev(){this._$ES=new Promise(t=>this.enableUpdating=t),this._$AL=new Map,this._$E_(),this.requestUpdate(),this.constructor.l?.forEach(t=>t(this))}addController(t){(this._$EO??=new Set).add(t),this.renderRoot!==void 0&&this.isConnected&&t.hostConnected?.()}removeController(t){this._$EO?.delete(t)}_$E_(){let t=new Map,e=this.constructor.elementProperties;for(let n of e.keys())this.hasOwnProperty(n)&&(t.set(n,this[n]),delete this[n]);t.size>0&&(this._$Ep=t)}createRenderRoot(){let t=this.shadowRoot??this.attachShadow(this.constructor.shadowRootOptions);return gt(t,this.constructor.elementStyles),t}connectedCallback(){this.renderRoot??=this.createRenderRoot(),this.enableUpdating(!0),this._$EO?.forEach(t=>t.hostConnected?.())}enableUpdating(t){}disconnectedCallback(){this._$EO?.forEach(t=>t.hostDisconnected?.())}attributeChangedCallback(t,e,n){this._$AK(t,n)}_$ET(t,e){let n=this.constructor.elementProperties.get(t),s=this.constructor._$Eu(t,n);if(s!==void 0&&n.reflect===!0){let i=(n.converter?.toAttribute!==void 0?n.converter:q).toAttribute(e,n.type);this._$Em=t,i==null?this.removeAttribute(s):this.setAttribute(s,i),this._$Em=null}}_$AK(t,e){let n=this.constructor,s=n._$Eh.get(t);if(s!==void 0&&this._$Em!==s){let i=n.getPropertyOptions(s),o=typeof i.converter=="function"?{fromAttribute:i.converter}:i.converter?.fromAttribute!==void 0?i.converter:q;this._$Em=s;let l=o.fromAttribute(e,i.type);this[s]=l??this._$Ej?.get(s)??l,this._$Em=null}}requestUpdate(t,e,n,s=!1,i){if(t!==void 0){let o=this.constructor;if(s===!1&&(i=this[t]),n??=o.getPropertyOptions(t),!((n.hasChanged??_t)(i,e)||n.useDefault&&n.reflect&&i===this._$Ej?.get(t)&&!this.hasAttribute(o._$Eu(t,n))))return;this.C(t,e,n)}this.isUpdatePending===!1&&(this._$ES=this._$EP())}C(t,e,{useDefault:n,reflect:s,wrapped:i},o){n&&!(this._$Ej??=new Map).has(t)&&(this._$Ej.set(t,o??e??this[t]),i!==!0||o!==void 0)||(this._$AL.has(t)||(this.hasUpdated||n||(e=void 0),this._$AL.set(t,e)),s===!0&&this._$Em!==t&&(this._$Eq??=new Set).add(t))}async _$EP(){this.isUpdatePending=!0;try{await this._$ES}catch(e){Promise.reject(e)}let t=this.scheduleUpdate();return t!=null&&await t,!this.isUpdatePending}scheduleUpdate(){return this.performUpdate()}performUpdate(){if(!this.isUpdatePending)return;if(!this.hasUpdated){if(this.renderRoot??=this.createRenderRoot(),this._$Ep){for(let[s,i]of this._$Ep)this[s]=i;this._$Ep=void 0}let n=this.constructor.elementProperties;if(n.size>0)for(let[s,i]of n){let{wrapped:o}=i,l=this[s];o!==!0||this._$AL.has(s)||l===void 0||this.C(s,void 0,i,l)}}let t=!1,e=this._$AL;try{t=this.shouldUpdate(e),t?(this.willUpdate(e),this._$EO?.forEach(n=>n.hostUpdate?.()),this.update(e)):this._$EM()}catch(n){throw t=!1,this._$EM(),n}t&&this._$AE(e)}willUpdate(t){}_$AE(t){this._$EO?.forEach(e=>e.hostUpdated?.()),this.hasUpdated||(this.hasUpdated=!0,this.firstUpdated(t)),this.updated(t)}_$EM(){this._$AL=new Map,this.isUpdatePending=!1}get updateComplete(){return this.getUpdateComplete()}getUpdateComplete(){return this._$ES}shouldUpdate(t){return!0}update(t){this._$Eq&&=this._$Eq.forEach(e=>this._$ET(e,this[e])),this._$EM()}updated(t){}firstUpdated(t){}};f.elementStyles=[],f.shadowRootOptions={mode:"open"},f[M("elementProperties")]=new Map,f[M("finalized")]=new Map,Bt?.({ReactiveElement:f}),(z.reactiveElementVersions??=[]).push("2.1.2");var tt=globalThis,yt=r=>r,F=tt.trustedTypes,bt=F?F.createPolicy("lit-html",{createHTML:r=>r}):void 0,At="$lit$",y=`lit$${Math.random().toFixed(9).slice(2)}$`,St="?"+y,qt=`<${St}>`,w=document,P=()=>w.createComment(""),R=r=>r===null||typeof r!="object"&&typeof r!="function",et=Array.isArray,Gt=r=>et(r)||typeof r?.[Symbol.iterator]=="function",G=`[ 	
\f\r]`,U=/<(?:(!--|\/[^a-zA-Z])|(\/?[a-zA-Z][^>\s]*)|(\/?$))/g,$t=/-->/g,wt=/>/g,b=RegExp(`>|${G}(?:([^\\s"'>=/]+)(${G}*=${G}*(?:[^ 	
\f\r"'\`<>=]|("|')|))|$)`,"g"),vt=/'/g,xt=/"/g,Et=/^(?:script|style|textarea|title)$/i,nt=r=>(t,...e)=>({_$litType$:r,strings:t,values:e}),m=nt(1),ae=nt(2),le=nt(3),v=Symbol.for("lit-noChange"),p=Symbol.for("lit-nothing"),kt=new WeakMap,$=w.createTreeWalker(w,129);function Ct(r,t){if(!et(r)||!r.hasOwnProperty("raw"))throw Error("invalid template strings array");return bt!==void 0?bt.createHTML(t):t}var Jt=(r,t)=>{let e=r.length-1,n=[],s,i=t===2?"<svg>":t===3?"<math>":"",o=U;for(let l=0;l<e;l++){let a=r[l],d,h,c=-1,u=0;for(;u<a.length&&(o.lastIndex=u,h=o.exec(a),h!==null);)u=o.lastIndex,o===U?h[1]==="!--"?o=$t:h[1]!==void 0?o=wt:h[2]!==void 0?(Et.test(h[2])&&(s=RegExp("</"+h[2],"g")),o=b):h[3]!==void 0&&(o=b):o===b?h[0]===">"?(o=s??U,c=-1):h[1]===void 0?c=-2:(c=o.lastIndex-h[2].length,d=h[1],o=h[3]===void 0?b:h[3]==='"'?xt:vt):o===xt||o===vt?o=b:o===$t||o===wt?o=U:(o=b,s=void 0);let g=o===b&&r[l+1].startsWith("/>")?" ":"";i+=o===U?a+qt:c>=0?(n.push(d),a.slice(0,c)+At+a.slice(c)+y+g):a+y+(c===-2?l:g)}return[Ct(r,i+(r[e]||"<?>")+(t===2?"</svg>":t===3?"</math>":"")),n]},N=class r{constructor({strings:t,_$litType$:e},n){let s;this.parts=[];let i=0,o=0,l=t.length-1,a=this.parts,[d,h]=Jt(t,e);if(this.el=r.createElement(d,n),$.currentNode=this.el.content,e===2||e===3){let c=this.el.content.firstChild;c.replaceWith(...c.childNodes)}for(;(s=$.nextNode())!==null&&a.length<l;){if(s.nodeType===1){if(s.hasAttributes())for(let c of s.getAttributeNames())if(c.endsWith(At)){let u=h[o++],g=s.getAttribute(c).split(y),A=/([.?@])?(.*)/.exec(u);a.push({type:1,index:i,name:A[2],strings:g,ctor:A[1]==="."?Y:A[1]==="?"?Q:A[1]==="@"?X:C}),s.removeAttribute(c)}else c.startsWith(y)&&(a.push({type:6,index:i}),s.removeAttribute(c));if(Et.test(s.tagName)){let c=s.textContent.split(y),u=c.length-1;if(u>0){s.textContent=F?F.emptyScript:"";for(let g=0;g<u;g++)s.append(c[g],P()),$.nextNode(),a.push({type:2,index:++i});s.append(c[u],P())}}}else if(s.nodeType===8)if(s.data===St)a.push({type:2,index:i});else{let c=-1;for(;(c=s.data.indexOf(y,c+1))!==-1;)a.push({type:7,index:i}),c+=y.length-1}i++}}static createElement(t,e){let n=w.createElement("template");return n.innerHTML=t,n}};function E(r,t,e=r,n){if(t===v)return t;let s=n!==void 0?e._$Co?.[n]:e._$Cl,i=R(t)?void 0:t._$litDirective$;return s?.constructor!==i&&(s?._$AO?.(!1),i===void 0?s=void 0:(s=new i(r),s._$AT(r,e,n)),n!==void 0?(e._$Co??=[])[n]=s:e._$Cl=s),s!==void 0&&(t=E(r,s._$AS(r,t.values),s,n)),t}var J=class{constructor(t,e){this._$AV=[],this._$AN=void 0,this._$AD=t,this._$AM=e}get parentNode(){return this._$AM.parentNode}get _$AU(){return this._$AM._$AU}u(t){let{el:{content:e},parts:n}=this._$AD,s=(t?.creationScope??w).importNode(e,!0);$.currentNode=s;let i=$.nextNode(),o=0,l=0,a=n[0];for(;a!==void 0;){if(o===a.index){let d;a.type===2?d=new D(i,i.nextSibling,this,t):a.type===1?d=new a.ctor(i,a.name,a.strings,this,t):a.type===6&&(d=new Z(i,this,t)),this._$AV.push(d),a=n[++l]}o!==a?.index&&(i=$.nextNode(),o++)}return $.currentNode=w,s}p(t){let e=0;for(let n of this._$AV)n!==void 0&&(n.strings!==void 0?(n._$AI(t,n,e),e+=n.strings.length-2):n._$AI(t[e])),e++}},D=class r{get _$AU(){return this._$AM?._$AU??this._$Cv}constructor(t,e,n,s){this.type=2,this._$AH=p,this._$AN=void 0,this._$AA=t,this._$AB=e,this._$AM=n,this.options=s,this._$Cv=s?.isConnected??!0}get parentNode(){let t=this._$AA.parentNode,e=this._$AM;return e!==void 0&&t?.nodeType===11&&(t=e.parentNode),t}get startNode(){return this._$AA}get endNode(){return this._$AB}_$AI(t,e=this){t=E(this,t,e),R(t)?t===p||t==null||t===""?(this._$AH!==p&&this._$AR(),this._$AH=p):t!==this._$AH&&t!==v&&this._(t):t._$litType$!==void 0?this.$(t):t.nodeType!==void 0?this.T(t):Gt(t)?this.k(t):this._(t)}O(t){return this._$AA.parentNode.insertBefore(t,this._$AB)}T(t){this._$AH!==t&&(this._$AR(),this._$AH=this.O(t))}_(t){this._$AH!==p&&R(this._$AH)?this._$AA.nextSibling.data=t:this.T(w.createTextNode(t)),this._$AH=t}$(t){let{values:e,_$litType$:n}=t,s=typeof n=="number"?this._$AC(t):(n.el===void 0&&(n.el=N.createElement(Ct(n.h,n.h[0]),this.options)),n);if(this._$AH?._$AD===s)this._$AH.p(e);else{let i=new J(s,this),o=i.u(this.options);i.p(e),this.T(o),this._$AH=i}}_$AC(t){let e=kt.get(t.strings);return e===void 0&&kt.set(t.strings,e=new N(t)),e}k(t){et(this._$AH)||(this._$AH=[],this._$AR());let e=this._$AH,n,s=0;for(let i of t)s===e.length?e.push(n=new r(this.O(P()),this.O(P()),this,this.options)):n=e[s],n._$AI(i),s++;s<e.length&&(this._$AR(n&&n._$AB.nextSibling,s),e.length=s)}_$AR(t=this._$AA.nextSibling,e){for(this._$AP?.(!1,!0,e);t!==this._$AB;){let n=yt(t).nextSibling;yt(t).remove(),t=n}}setConnected(t){this._$AM===void 0&&(this._$Cv=t,this._$AP?.(t))}},C=class{get tagName(){return this.element.tagName}get _$AU(){return this._$AM._$AU}constructor(t,e,n,s,i){this.type=1,this._$AH=p,this._$AN=void 0,this.element=t,this.name=e,this._$AM=s,this.options=i,n.length>2||n[0]!==""||n[1]!==""?(this._$AH=Array(n.length-1).fill(new String),this.strings=n):this._$AH=p}_$AI(t,e=this,n,s){let i=this.strings,o=!1;if(i===void 0)t=E(this,t,e,0),o=!R(t)||t!==this._$AH&&t!==v,o&&(this._$AH=t);else{let l=t,a,d;for(t=i[0],a=0;a<i.length-1;a++)d=E(this,l[n+a],e,a),d===v&&(d=this._$AH[a]),o||=!R(d)||d!==this._$AH[a],d===p?t=p:t!==p&&(t+=(d??"")+i[a+1]),this._$AH[a]=d}o&&!s&&this.j(t)}j(t){t===p?this.element.removeAttribute(this.name):this.element.setAttribute(this.name,t??"")}},Y=class extends C{constructor(){super(...arguments),this.type=3}j(t){this.element[this.name]=t===p?void 0:t}},Q=class extends C{constructor(){super(...arguments),this.type=4}j(t){this.element.toggleAttribute(this.name,!!t&&t!==p)}},X=class extends C{constructor(t,e,n,s,i){super(t,e,n,s,i),this.type=5}_$AI(t,e=this){if((t=E(this,t,e,0)??p)===v)return;let n=this._$AH,s=t===p&&n!==p||t.capture!==n.capture||t.once!==n.once||t.passive!==n.passive,i=t!==p&&(n===p||s);s&&this.element.removeEventListener(this.name,this,n),i&&this.element.addEventListener(this.name,this,t),this._$AH=t}handleEvent(t){typeof this._$AH=="function"?this._$AH.call(this.options?.host??this.element,t):this._$AH.handleEvent(t)}},Z=class{constructor(t,e,n){this.element=t,this.type=6,this._$AN=void 0,this._$AM=e,this.options=n}get _$AU(){return this._$AM._$AU}_$AI(t){E(this,t)}};var Yt=tt.litHtmlPolyfillSupport;Yt?.(N,D),(tt.litHtmlVersions??=[]).push("3.3.3");var Tt=(r,t,e)=>{let n=e?.renderBefore??t,s=n._$litPart$;if(s===void 0){let i=e?.renderBefore??null;n._$litPart$=s=new D(t.insertBefore(P(),i),i,void 0,e??{})}return s._$AI(r),s};var st=globalThis,_=class extends f{constructor(){super(...arguments),this.renderOptions={host:this},this._$Do=void 0}createRenderRoot(){let t=super.createRenderRoot();return this.renderOptions.renderBefore??=t.firstChild,t}update(t){let e=this.render();this.hasUpdated||(this.renderOptions.isConnected=this.isConnected),super.update(t),this._$Do=Tt(e,this.renderRoot,this.renderOptions)}connectedCallback(){super.connectedCallback(),this._$Do?.setConnected(!0)}disconnectedCallback(){super.disconnectedCallback(),this._$Do?.setConnected(!1)}render(){return v}};_._$litElement$=!0,_.finalized=!0,st.litElementHydrateSupport?.({LitElement:_});var Qt=st.litElementPolyfillSupport;Qt?.({LitElement:_});(st.litElementVersions??=[]).push("4.2.2");var K="ev_ledger";function Mt(r){let t={};for(let[e,n]of Object.entries(r))n!=null&&n!==""&&(t[e]=n);return t}async function rt(r){return(await r.callWS({type:"config_entries/get",domain:K})).map(e=>({entry_id:e.entry_id,title:e.title,state:e.state}))}async function Ut(r,t){let e=await r.callWS({type:"config/device_registry/list"}),n=[];for(let s of e){if(!s.config_entries.includes(t)||s.model!=="Vehicle")continue;let i=s.identifiers.find(([o])=>o===K);i&&n.push({id:s.id,key:i[1],name:s.name_by_user||s.name||i[1],rowId:ee(i[1])})}return n.sort((s,i)=>s.name.localeCompare(i.name))}async function it(r,t,e,n){let s=await r.callWS({type:`${K}/${t}`,entry_id:e,...Mt(n)});return{rows:s[t]??[],total:Number(s.total??0),hasMore:!!s.has_more}}async function Pt(r,t,e,n={}){return r.callWS({type:`${K}/summary`,entry_id:t,...Mt({vehicle:e,start:n.start,end:n.end})})}var Xt="6f1c6a3e-5d0b-4d57-9a57-1f0c2e6b9c11";function Zt(r){let t=r.length,e=new Uint32Array(((t+8>>6)+1)*16);for(let o=0;o<t;o++)e[o>>2]|=r[o]<<24-o%4*8;e[t>>2]|=128<<24-t%4*8,e[e.length-1]=t*8;let n=[1732584193,4023233417,2562383102,271733878,3285377520],s=new Uint32Array(80);for(let o=0;o<e.length;o+=16){for(let u=0;u<80;u++)if(u<16)s[u]=e[o+u];else{let g=s[u-3]^s[u-8]^s[u-14]^s[u-16];s[u]=g<<1|g>>>31}let[l,a,d,h,c]=n;for(let u=0;u<80;u++){let g=u<20?a&d|~a&h:u<40?a^d^h:u<60?a&d|a&h|d&h:a^d^h,A=u<20?1518500249:u<40?1859775393:u<60?2400959708:3395469782,Lt=(l<<5|l>>>27)+g+c+A+s[u]>>>0;c=h,h=d,d=a<<30|a>>>2,a=l,l=Lt}n[0]=n[0]+l>>>0,n[1]=n[1]+a>>>0,n[2]=n[2]+d>>>0,n[3]=n[3]+h>>>0,n[4]=n[4]+c>>>0}let i=new Uint8Array(20);return n.forEach((o,l)=>{i[l*4]=o>>>24,i[l*4+1]=o>>>16&255,i[l*4+2]=o>>>8&255,i[l*4+3]=o&255}),i}function te(r,t){let e=r.replace(/-/g,""),n=new Uint8Array(16);for(let a=0;a<16;a++)n[a]=parseInt(e.slice(a*2,a*2+2),16);let s=new TextEncoder().encode(t),i=new Uint8Array(16+s.length);i.set(n),i.set(s,16);let o=Zt(i).slice(0,16);o[6]=o[6]&15|80,o[8]=o[8]&63|128;let l=Array.from(o,a=>a.toString(16).padStart(2,"0")).join("");return`${l.slice(0,8)}-${l.slice(8,12)}-${l.slice(12,16)}-${l.slice(16,20)}-${l.slice(20)}`}function ee(r){if(!/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(r))return te(Xt,r);let t=r.replace(/-/g,"").toLowerCase();return`${t.slice(0,8)}-${t.slice(8,12)}-${t.slice(12,16)}-${t.slice(16,20)}-${t.slice(20)}`}function Nt(r){return{distance:r?.length==="mi"?"mi":"km",temperature:r?.temperature==="°F"?"°F":"°C"}}function k(r){if(r==null||r==="")return null;let t=typeof r=="number"?r:Number(r);return Number.isFinite(t)?t:null}function at(r,t){let e=k(r);return e===null?null:t.distance==="mi"?e/1.609344:e}function x(r,t,e){return r===null?"—":new Intl.NumberFormat(e,{minimumFractionDigits:t,maximumFractionDigits:t}).format(r)}function lt(r,t,e){let n=k(r);if(n===null)return"—";if(!t)return x(n,2,e);try{return new Intl.NumberFormat(e,{style:"currency",currency:t}).format(n)}catch{return`${x(n,2,e)} ${t}`}}function ot(r,t){let e=new Intl.DateTimeFormat("en-US",{timeZone:t,hourCycle:"h23",year:"numeric",month:"2-digit",day:"2-digit",hour:"2-digit",minute:"2-digit",second:"2-digit"}).formatToParts(new Date(r)),n=i=>Number(e.find(o=>o.type===i)?.value??0);return Date.UTC(n("year"),n("month")-1,n("day"),n("hour")%24,n("minute"),n("second"))-Math.floor(r/1e3)*1e3}function Rt(r,t,e,n){let s=Date.UTC(r,t-1,e),i=s-ot(s,n);return i=s-ot(i,n),new Date(i)}function Dt(r,t,e){let[n,s]=ct(r.toISOString(),e).split("-").map(Number),i=new Date(Date.UTC(n,s-t,1)),o=new Date(Date.UTC(n,s,1));return{start:Rt(i.getUTCFullYear(),i.getUTCMonth()+1,1,e).toISOString(),end:Rt(o.getUTCFullYear(),o.getUTCMonth()+1,1,e).toISOString()}}function ct(r,t){let e=Date.parse(r);if(Number.isNaN(e))return"";let n=new Date(e+ot(e,t));return`${n.getUTCFullYear()}-${String(n.getUTCMonth()+1).padStart(2,"0")}`}function ut(r,t,e){if(!r)return"—";let n=Date.parse(r);return Number.isNaN(n)?"—":new Intl.DateTimeFormat(e,{timeZone:t,year:"numeric",month:"short",day:"numeric",hour:"2-digit",minute:"2-digit"}).format(new Date(n))}function Ht(r){return r.place_name||r.location_override||r.location_name||r.zone||"Unknown place"}function Ot(r){let t=r.start_place_name||r.start_zone||"?",e=r.end_place_name||r.end_zone||"?";return`${t} → ${e}`}var dt=S`
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
`;var W=5;function ne(r,t){r.dispatchEvent(new CustomEvent("config-changed",{detail:{config:t},bubbles:!0,composed:!0}))}var H=class extends _{constructor(){super();this._loadedFor="";this._loadedAt=0;this._config={type:"custom:ev-ledger-card"},this._sessions=null,this._trips=null,this._month=null,this._error=null,this._entryId=null}static getConfigElement(){return document.createElement("ev-ledger-card-editor")}static getStubConfig(){return{type:"custom:ev-ledger-card",show:"both",count:W}}setConfig(e){if(!e||typeof e!="object")throw new Error("Invalid configuration");if(e.show&&!["sessions","trips","both"].includes(e.show))throw new Error("show must be sessions, trips or both");this._config={...e},this._loadedFor=""}getCardSize(){return 2+(this._config.count??W)}updated(){let e=JSON.stringify(this._config);this.hass&&(e!==this._loadedFor||Date.now()-this._loadedAt>3e5)&&(this._loadedFor=e,this._loadedAt=Date.now(),this._load())}async _load(){try{let e=this._config.entry_id??null;if(!e){let c=await rt(this.hass);e=(c.find(u=>u.state==="loaded")??c[0])?.entry_id??null}if(this._entryId=e,!e){this._error="No EV Ledger is set up.";return}let n=this._config.show??"both",s=Math.max(1,Math.min(20,this._config.count??W)),i={vehicle:this._config.vehicle||null,limit:s},o=this.hass.config?.time_zone||"UTC",[l,a,d]=await Promise.all([n!=="trips"?it(this.hass,"sessions",e,i):null,n!=="sessions"?it(this.hass,"trips",e,i):null,Pt(this.hass,e,this._config.vehicle||null,Dt(new Date,1,o)).catch(()=>null)]),h=ct(new Date().toISOString(),o);this._sessions=l?.rows??null,this._trips=a?.rows??null,this._month=d?.months.find(c=>c.month.slice(0,7)===h)??null,this._error=null}catch(e){this._error=e&&typeof e=="object"&&"message"in e?String(e.message):String(e)}}render(){let e=Nt(this.hass?.config?.unit_system),n=this.hass?.config?.time_zone||"UTC",s=this.hass?.locale?.language,i=this.hass?.config?.currency,o=this._month;return m`<ha-card>
      <div class="head">${this._config.title??"EV Ledger"}</div>
      <div class="content">
        ${this._error?m`<p class="error">${this._error}</p>`:p}
        <div class="totals">
          <div>
            <span class="value">${x(k(o?.energy_kwh)??0,1,s)} kWh</span>
            <span class="muted">charged this month</span>
          </div>
          <div>
            <span class="value">${lt(k(o?.cost)??0,i,s)}</span>
            <span class="muted">cost</span>
          </div>
          <div>
            <span class="value"
              >${x(at(k(o?.distance_km)??0,e),0,s)}
              ${e.distance}</span
            >
            <span class="muted">driven</span>
          </div>
        </div>
        ${this._sessions?m`<h3>Recent sessions</h3>
              <ul class="sessions">
                ${this._sessions.length?this._sessions.map(l=>m`<li>
                        <span>${ut(l.started_at,n,s)} · ${Ht(l)}</span>
                        <span class="num"
                          >${x(k(l.energy_kwh),1,s)} kWh ·
                          ${lt(l.cost,l.currency||i,s)}</span
                        >
                      </li>`):m`<li class="muted">None yet</li>`}
              </ul>`:p}
        ${this._trips?m`<h3>Recent trips</h3>
              <ul class="trips">
                ${this._trips.length?this._trips.map(l=>m`<li>
                        <span
                          >${ut(l.started_at,n,s)} · ${Ot(l)}</span
                        >
                        <span class="num"
                          >${x(at(l.distance_km,e),1,s)}
                          ${e.distance}</span
                        >
                      </li>`):m`<li class="muted">None yet</li>`}
              </ul>`:p}
      </div>
    </ha-card>`}};H.properties={hass:{attribute:!1},_config:{state:!0},_sessions:{state:!0},_trips:{state:!0},_month:{state:!0},_error:{state:!0},_entryId:{state:!0}},H.styles=[dt,S`
      ha-card {
        display: block;
        overflow: hidden;
      }
      .head {
        font-size: 20px;
        padding: 16px 16px 0;
      }
      .content {
        padding: 8px 16px 16px;
      }
      .totals {
        display: flex;
        flex-wrap: wrap;
        gap: 12px 24px;
      }
      .totals div {
        display: flex;
        flex-direction: column;
      }
      .value {
        font-size: 20px;
        font-weight: 500;
      }
      h3 {
        font-size: 14px;
        font-weight: 500;
        margin: 16px 0 4px;
      }
      ul {
        list-style: none;
        padding: 0;
        margin: 0;
      }
      li {
        display: flex;
        justify-content: space-between;
        gap: 8px;
        padding: 4px 0;
        border-bottom: 1px solid var(--divider-color, #e0e0e0);
        font-size: 14px;
      }
      li .num {
        white-space: nowrap;
      }
    `];var O=class extends _{constructor(){super();this._loadedEntry=null;this._started=!1;this._config={type:"custom:ev-ledger-card"},this._entries=[],this._vehicles=[]}setConfig(e){this._config={...e}}updated(){if(!this.hass)return;this._started||(this._started=!0,rt(this.hass).then(n=>this._entries=n).catch(()=>this._entries=[]));let e=this._config.entry_id??this._entries[0]?.entry_id??null;e&&e!==this._loadedEntry&&(this._loadedEntry=e,Ut(this.hass,e).then(n=>this._vehicles=n).catch(()=>this._vehicles=[]))}_set(e,n){let s={...this._config};n===""||n===void 0?delete s[e]:s[e]=n,e==="entry_id"&&delete s.vehicle,this._config=s,ne(this,s)}render(){let e=this._config;return m`<div class="editor">
      <label
        >Title
        <input
          name="title"
          .value=${e.title??""}
          placeholder="EV Ledger"
          @change=${n=>this._set("title",n.target.value)}
      /></label>
      <label
        >Ledger
        <select
          name="entry_id"
          @change=${n=>this._set("entry_id",n.target.value)}
        >
          <option value="" ?selected=${!e.entry_id}>The first ledger</option>
          ${this._entries.map(n=>m`<option value=${n.entry_id} ?selected=${n.entry_id===e.entry_id}>${n.title}</option>`)}
        </select></label
      >
      <label
        >Vehicle
        <select
          name="vehicle"
          @change=${n=>this._set("vehicle",n.target.value)}
        >
          <option value="" ?selected=${!e.vehicle}>All vehicles</option>
          ${this._vehicles.map(n=>m`<option value=${n.id} ?selected=${n.id===e.vehicle}>${n.name}</option>`)}
        </select></label
      >
      <label
        >Show
        <select
          name="show"
          @change=${n=>this._set("show",n.target.value)}
        >
          ${["both","sessions","trips"].map(n=>m`<option value=${n} ?selected=${(e.show??"both")===n}>${n}</option>`)}
        </select></label
      >
      <label
        >Records shown
        <input
          name="count"
          type="number"
          min="1"
          max="20"
          .value=${String(e.count??W)}
          @change=${n=>this._set("count",Number(n.target.value)||void 0)}
      /></label>
    </div>`}};O.properties={hass:{attribute:!1},_config:{state:!0},_entries:{state:!0},_vehicles:{state:!0}},O.styles=[dt,S`
      .editor {
        display: flex;
        flex-direction: column;
        gap: 12px;
      }
      label {
        display: flex;
        flex-direction: column;
        gap: 4px;
      }
    `];customElements.get("ev-ledger-card")||customElements.define("ev-ledger-card",H);customElements.get("ev-ledger-card-editor")||customElements.define("ev-ledger-card-editor",O);var V=window;V.customCards=V.customCards??[];V.customCards.some(r=>r.type==="ev-ledger-card")||V.customCards.push({type:"ev-ledger-card",name:"EV Ledger",description:"This month's charging and driving totals and the latest sessions and trips.",preview:!0});export{W as DEFAULT_COUNT,H as EvLedgerCard,O as EvLedgerCardEditor};
