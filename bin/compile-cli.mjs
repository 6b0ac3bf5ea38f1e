// Compiles the TypeScript CLI (functions/cli/main.ts and what it imports) to JavaScript once, so
// `herald` starts without compiling TypeScript at every run. Runs as the package's `prepare`
// script (so `npm ci` leaves a compiled CLI behind) and from bin/herald.mjs when a source changed.
// Output: node_modules/.cache/herald/cli/ (main.mjs, one chunk per lazily loaded command, and
// manifest.json listing each source file with its size and modification time).
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CLI_CACHE_DIR = join(ROOT, 'node_modules', '.cache', 'herald', 'cli');

/**
 * Modules find files next to their source (templates/, package.json) through `import.meta.url`;
 * in the compiled chunks it keeps naming the source file, so those paths stay right.
 */
const sourceUrls = {
  name: 'herald-source-urls',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      return {
        contents: text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)),
        loader: 'ts',
      };
    });
  },
};

/**
 * Packages bundled into the compiled CLI (with everything they import): one file loads faster than
 * hundreds. mjml gets bundles of its own (see MJML_BUNDLES). The rest (the AWS SDK, the local
 * stand-ins) stay in node_modules, since they find
 * files of their own at run time or load only for some commands.
 */
const BUNDLED = new Set([
  'commander',
  'csv-parse',
  'feed',
  'html-to-text',
  'liquidjs',
  'luxon',
  'marked',
  'marked-alert',
  'mustache',
  'nodemailer',
  'parse5',
  'sanitize-html',
  'yaml',
  'zod',
]);

const packageName = (specifier) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

/**
 * Packages bundled from their ES module build (package.json `module`) rather than their CommonJS `main`,
 * which esbuild would pick on its own for Node: a bundled CommonJS module is reached through a getter per
 * named import at every use, and liquidjs's exports (`toValueSync`, `TypeGuards` …) are used thousands of
 * times per post.
 */
const ES_MODULE_BUILDS = { liquidjs: 'liquidjs/dist/liquid.node.mjs' };

const esModuleBuilds = {
  name: 'herald-es-module-builds',
  setup(build) {
    build.onResolve({ filter: /^liquidjs$/ }, (args) =>
      build.resolve(ES_MODULE_BUILDS[args.path], {
        kind: args.kind,
        resolveDir: args.resolveDir,
        importer: args.importer,
      }),
    );
  },
};

/** Our sources' imports of packages outside BUNDLED stay imports; the bundled packages' own imports are bundled. */
const selectedPackages = {
  name: 'herald-selected-packages',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:')) return { external: true };
      if (args.importer.includes('/node_modules/')) return undefined;
      return BUNDLED.has(packageName(args.path)) ? undefined : { external: true };
    });
  },
};

/**
 * mjml and the helpers Herald takes from it, each bundled into one CommonJS file beside the chunks
 * (mjml is CommonJS and reads no files of its own): loading mjml from node_modules resolves and reads
 * hundreds of files, about 0.8 s on this machine; its bundle loads in about 0.25 s. The bundles use
 * cheerio's htmlparser2 build (mjml and juice parse in xml mode only; cheerio's main entry also loads
 * parse5 and undici), and leave out what only mjml's `minify` option uses (htmlnano, cssnano), which
 * Herald never sets: asked for, it throws.
 */
const MJML_BUNDLES = {
  mjml: 'mjml.cjs',
  'mjml-core/lib/helpers/skeleton.js': 'mjml-skeleton.cjs',
  'mjml-core/lib/helpers/mergeOutlookConditionnals.js': 'mjml-merge-outlook.cjs',
  'juice/client.js': 'juice-client.cjs',
};

/** Our sources' imports of mjml and its helpers load the bundles above. */
const mjmlBundles = {
  name: 'herald-mjml-bundles',
  setup(build) {
    build.onResolve({ filter: /^(mjml|mjml-core\/|juice\/client)/ }, (args) => {
      const file = MJML_BUNDLES[args.path];
      if (file === undefined || args.importer.includes('/node_modules/')) return undefined;
      return { path: `./${file}`, external: true };
    });
  },
};

/** Modules that only mjml's `minify` option loads, replaced by one that throws when used. */
const withoutMinifiers = {
  name: 'herald-without-minifiers',
  setup(build) {
    build.onResolve({ filter: /^(htmlnano|cssnano-preset-lite)$/ }, (args) => ({
      path: args.path,
      namespace: 'herald-unbundled',
    }));
    build.onLoad({ filter: /.*/, namespace: 'herald-unbundled' }, (args) => ({
      contents: `const unbundled = () => { throw new Error(${JSON.stringify(`${args.path} is not bundled: Herald never sets mjml's minify option`)}); };
module.exports = { process: unbundled };`,
      loader: 'js',
    }));
  },
};

/** cheerio's htmlparser2 build for every importer (see MJML_BUNDLES). */
const slimCheerio = {
  name: 'herald-slim-cheerio',
  setup(build) {
    build.onResolve({ filter: /^cheerio$/ }, (args) =>
      build.resolve('cheerio/slim', {
        kind: args.kind,
        resolveDir: args.resolveDir,
        importer: args.importer,
      }),
    );
  },
};

/**
 * Compiles the CLI into `outDir` (default {@link CLI_CACHE_DIR}; it must lie inside this repository
 * so the compiled modules find node_modules); returns the URL of the entry module.
 */
export async function compileCli({ outDir = CLI_CACHE_DIR } = {}) {
  const { build } = await import('esbuild');
  const staging = `${outDir}.staging-${process.pid}`;
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: {
      main: 'functions/cli/main.ts',
      'preview-worker': 'functions/cli/preview-worker.ts',
      'markdown-worker': 'functions/cli/markdown-worker.ts',
    },
    outdir: staging,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Bundled CommonJS packages call require() for Node's built-in modules. The compiled modules'
    // own import.meta.url names their source (see sourceUrls); the banner's is the real one, and
    // tells the CLI where the compiled files lie, for the worker threads it starts.
    banner: {
      js: "import { createRequire as __heraldRequire } from 'node:module'; const require = __heraldRequire(import.meta.url); globalThis[Symbol.for('herald.compiledCli')] ??= import.meta.url;",
    },
    sourcemap: 'linked',
    sourcesContent: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [sourceUrls, mjmlBundles, esModuleBuilds, selectedPackages],
  });
  const require = createRequire(join(ROOT, 'package.json'));
  await build({
    absWorkingDir: ROOT,
    entryPoints: Object.entries(MJML_BUNDLES).map(([specifier, file]) => ({
      in: require.resolve(specifier),
      out: file.replace(/\.cjs$/, ''),
    })),
    outdir: staging,
    outExtension: { '.js': '.cjs' },
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    // Loaded by mjml's config reader only for a TypeScript `.mjmlconfig`.
    external: ['typescript'],
    logLevel: 'silent',
    plugins: [slimCheerio, withoutMinifiers],
  });
  const sources = [
    fileURLToPath(import.meta.url),
    // Bundled packages change only with the lockfile; a change compiles the CLI afresh (and so empties
    // the build cache kept in its folder).
    join(ROOT, 'package-lock.json'),
    ...Object.keys(result.metafile.inputs)
      .filter((path) => !path.includes('node_modules/'))
      .map((path) => resolve(ROOT, path)),
  ];
  const inputs = await Promise.all(
    sources.map(async (file) => {
      const s = await stat(file);
      return [file, s.mtimeMs, s.size];
    }),
  );
  const root = new URL('..', import.meta.url).pathname;
  await writeFile(join(staging, 'manifest.json'), `${JSON.stringify({ root, inputs }, null, 1)}\n`);
  try {
    await rm(outDir, { recursive: true, force: true });
    await rename(staging, outDir);
  } catch {
    // Another herald process compiled at the same moment: run this copy and leave theirs alone.
    return pathToFileURL(join(staging, 'main.mjs'));
  }
  return pathToFileURL(join(outDir, 'main.mjs'));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  try {
    await compileCli();
    const ms = Math.round(performance.now() - started);
    process.stdout.write(
      `herald: compiled the CLI into ${relative(process.cwd(), CLI_CACHE_DIR)} in ${ms} ms\n`,
    );
  } catch (error) {
    // An install without devDependencies has no esbuild: herald then runs through tsx.
    console.warn(`herald: CLI not compiled (${error.message.split('\n')[0]}); it will run through tsx`);
  }
}
