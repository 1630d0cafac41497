// Bundles the demo page for the browser (esbuild, from the SDK's sources)
// into dist/, next to its static files. `npm run build` at the root runs it,
// and `npm install` runs that, so a dev node serves a working page.
import { cpSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

mkdirSync(here('dist'), { recursive: true });
cpSync(here('public'), here('dist'), { recursive: true });
await build({
  entryPoints: [here('src/main.ts')],
  outfile: here('dist/demo.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  conditions: ['switchboard-source'],
  sourcemap: true,
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [
    {
      // The protocol package's modules only declare things; saying so lets
      // esbuild drop its zod schemas, which the browser never needs.
      name: 'protocol-is-pure',
      setup(b) {
        b.onResolve({ filter: /.*/ }, async (args) => {
          if (args.pluginData?.skip) return undefined;
          const inProtocol = args.path === '@switchboard/protocol' || args.importer.includes('/packages/protocol/src/');
          if (!inProtocol) return undefined;
          const { path, errors } = await b.resolve(args.path, {
            kind: args.kind,
            importer: args.importer,
            resolveDir: args.resolveDir,
            pluginData: { skip: true },
          });
          if (errors.length > 0) return { errors };
          return { path, sideEffects: !path.includes('/packages/protocol/src/') };
        });
      },
    },
  ],
});
