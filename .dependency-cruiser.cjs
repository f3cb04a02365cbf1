/**
 * Which part of `src/` may import which (checked by `npm run lint:deps`, part of `npm test`).
 * Folders sit in layers, lowest first: a folder imports only from its own layer's lower layers,
 * never from a higher layer nor from a sibling of its own layer, so dependencies point one way.
 * There is no exceptions list: a new import that breaks a rule means the code belongs elsewhere.
 */
const LAYERS = [
  ['config'],
  ['common'],
  ['database', 'redis', 'queue'],
  ['circuit-breaker', 'instances', 'events', 'providers', 'access'],
  ['models'],
  ['performance', 'metrics'],
  // The response cache stores what inference hands it and knows nothing of requests.
  ['routing', 'cache'],
  ['inference', 'embeddings'],
  ['feedback', 'health', 'dashboard', 'retention', 'spend'],
  ['openai-compat', 'admin'],
  // Anthropic's API reuses the routing headers and error messages of OpenAI's.
  ['anthropic-compat'],
];

const folder = (name) => `^src/${name}/`;
const anyOf = (names) => `^src/(${names.join('|')})/`;

const layerRules = LAYERS.flatMap((layer, index) => {
  const higher = LAYERS.slice(index + 1).flat();
  return layer.map((name) => {
    const siblings = layer.filter((other) => other !== name);
    const forbidden = [...higher, ...siblings];
    return {
      name: `layer-${name}`,
      comment: `${name} (layer ${index}) may import only from lower layers: not from ${forbidden.join(', ') || 'anything above'}`,
      severity: 'error',
      from: { path: folder(name) },
      to: { path: forbidden.length > 0 ? anyOf(forbidden) : '^$' },
    };
  });
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycles, of files or through other files',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'src-not-to-tests-or-scripts',
      comment: 'The service never imports its tests, the bench or other scripts',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|scripts)/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'only-entry-points-import-the-app',
      comment: 'Only the entry points (main.ts, app.ts) import the app module',
      severity: 'error',
      from: { path: '^src/(?!(main|app)\\.ts$)' },
      to: { path: '^src/app(\\.module)?\\.ts$' },
    },
    ...layerRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // Packages that name their entry points in package.json `exports` (js-tiktoken's ranks).
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['require', 'node', 'default'] },
    exclude: { path: '\\.spec\\.ts$' },
  },
};
