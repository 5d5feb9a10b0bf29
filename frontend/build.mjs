// Bundle the panel and the card into the integration's folder, then stamp the build
// with the sha256 of its inputs (tests/test_frontend_bundle.py recomputes it).
//   node build.mjs [--outdir DIR]
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { join, relative, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const at = args.indexOf("--outdir");
const outdir =
  at >= 0 ? args[at + 1] : join(here, "..", "custom_components", "ev_ledger", "frontend");

function files(dir) {
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? files(path) : [path];
    });
}

// The stamp: sha256 over each input's path (relative to frontend/, '/'-separated) and
// bytes, in sorted path order: src/**, build.mjs, package-lock.json.
export function stamp() {
  const inputs = [
    ...files(join(here, "src")),
    join(here, "build.mjs"),
    join(here, "package-lock.json"),
  ]
    .map((path) => [relative(here, path).split("\\").join("/"), path])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const hash = createHash("sha256");
  for (const [name, path] of inputs) {
    hash.update(name + "\0");
    hash.update(readFileSync(path));
    hash.update("\0");
  }
  return hash.digest("hex");
}

mkdirSync(outdir, { recursive: true });
await build({
  entryPoints: {
    "ev-ledger-panel": join(here, "src", "panel.ts"),
    "ev-ledger-card": join(here, "src", "card.ts"),
  },
  outdir,
  bundle: true,
  format: "esm",
  target: "es2021",
  minify: true,
  legalComments: "none",
  charset: "utf8",
  logLevel: "warning",
});
writeFileSync(join(outdir, "build-stamp.txt"), stamp() + "\n");
