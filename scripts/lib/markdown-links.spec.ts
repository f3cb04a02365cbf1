import { anchorsOf, extractLinks, findBrokenLinks, githubSlug, isExternal, resolveTarget } from './markdown-links';

describe('extractLinks', () => {
  it('finds inline links, images and reference definitions with their lines', () => {
    const markdown = [
      'See [the API](docs/api.md#errors) and ![a picture](docs/images/dashboard.png "The page").',
      '',
      '[spec]: ./SPEC.md',
      '   [padded]: <docs/with space.md>',
      'A link with a [title](a.md \'Title\') and [an angle target](<b c.md>).',
    ].join('\n');
    expect(extractLinks(markdown)).toEqual([
      { target: 'docs/api.md#errors', line: 1 },
      { target: 'docs/images/dashboard.png', line: 1 },
      { target: './SPEC.md', line: 3 },
      { target: 'docs/with space.md', line: 4 },
      { target: 'a.md', line: 5 },
      { target: 'b c.md', line: 5 },
    ]);
  });

  it('reads links whose text is inline code', () => {
    expect(extractLinks('The [`models/`](models/README.md) folder')).toEqual([{ target: 'models/README.md', line: 1 }]);
  });

  it('ignores links shown as code, in fenced blocks or inline spans', () => {
    const markdown = ['```md', '[not a link](nowhere.md)', '```', '~~~', '[nor this](gone.md)', '~~~', 'Write `[x](y.md)` for a link.'].join('\n');
    expect(extractLinks(markdown)).toEqual([]);
  });

  it('keeps reading after a fence closed by a longer fence of the same character', () => {
    expect(extractLinks(['```', 'code', '`````', '[after](after.md)'].join('\n'))).toEqual([{ target: 'after.md', line: 4 }]);
  });
});

describe('githubSlug', () => {
  it.each([
    ['Quick start', 'quick-start'],
    ['Data retention and table sizes', 'data-retention-and-table-sizes'],
    ['`REDIS_KEY_PREFIX` and channels', 'redis_key_prefix-and-channels'],
    ['Failures of Postgres, Redis and instances', 'failures-of-postgres-redis-and-instances'],
    ['OpenAI-compatible API (`/v1`)', 'openai-compatible-api-v1'],
    ['Performance page (`/dashboard`)', 'performance-page-dashboard'],
    ['A [linked](x.md) **bold** heading', 'a-linked-bold-heading'],
    ['Two  spaces', 'two--spaces'],
    ['Qualité élevée', 'qualité-élevée'],
  ])('%s -> %s', (heading, slug) => {
    expect(githubSlug(heading)).toBe(slug);
  });
});

describe('anchorsOf', () => {
  it('numbers repeated headings as GitHub does and skips headings inside code', () => {
    const markdown = ['# Title', '## Usage', '### Usage', '```sh', '# a shell comment', '```', '## Usage ##', '<a name="custom"></a>'].join('\n');
    expect([...anchorsOf(markdown)]).toEqual(['title', 'usage', 'usage-1', 'usage-2', 'custom']);
  });

  it('keeps the text of inline code in a heading', () => {
    expect([...anchorsOf('## OpenAI-compatible API (`/v1`)\n#### `model.request.cancel`')]).toEqual(['openai-compatible-api-v1', 'modelrequestcancel']);
  });
});

describe('isExternal', () => {
  it.each(['https://example.com', 'http://localhost:3000/docs', 'mailto:someone@example.com'])('leaves %s alone', (target) => {
    expect(isExternal(target)).toBe(true);
  });

  it.each(['docs/api.md', './a.md', '#anchor', '../x.md'])('checks %s', (target) => {
    expect(isExternal(target)).toBe(false);
  });
});

describe('resolveTarget', () => {
  it('resolves relative to the Markdown file, splitting off the anchor', () => {
    expect(resolveTarget('docs/api.md', 'architecture.md#the-outbox')).toEqual({ path: 'docs/architecture.md', anchor: 'the-outbox', outside: false });
    expect(resolveTarget('docs/api.md', '../README.md')).toEqual({ path: 'README.md', anchor: null, outside: false });
    expect(resolveTarget('README.md', 'models/')).toEqual({ path: 'models', anchor: null, outside: false });
  });

  it('takes a leading slash from the repository root, and an anchor alone within the same file', () => {
    expect(resolveTarget('docs/api.md', '/src/app.ts')).toEqual({ path: 'src/app.ts', anchor: null, outside: false });
    expect(resolveTarget('docs/api.md', '#errors')).toEqual({ path: 'docs/api.md', anchor: 'errors', outside: false });
  });

  it('decodes percent-encoding and drops a query', () => {
    expect(resolveTarget('README.md', 'docs/a%20b.md?plain=1#h%C3%A9')).toEqual({ path: 'docs/a b.md', anchor: 'hé', outside: false });
  });

  it('says when a target leaves the repository', () => {
    expect(resolveTarget('README.md', '../shared/SPEC.md').outside).toBe(true);
    expect(resolveTarget('docs/api.md', '../../x.md').outside).toBe(true);
  });
});

describe('findBrokenLinks', () => {
  const files = new Set(['README.md', 'docs/api.md', 'docs/images/dashboard.png', 'src/app.ts']);
  const repository = (markdown: Record<string, string>) => ({
    markdown: new Map(Object.entries(markdown)),
    exists: (path: string) => files.has(path) || [...files].some((file) => file.startsWith(`${path}/`)),
  });

  it('accepts links to files, folders and headings that exist, and web links', () => {
    const broken = findBrokenLinks(
      repository({
        'README.md': '[API](docs/api.md#errors) ![page](docs/images/dashboard.png) [docs](docs/) [web](https://example.com) [code](src/app.ts#L10)',
        'docs/api.md': '# API\n## Errors\nBack to [the top](#api) and [the README](../README.md).',
      }),
    );
    expect(broken).toEqual([]);
  });

  it('lists missing files, missing headings and targets outside the repository', () => {
    const broken = findBrokenLinks(
      repository({
        'README.md': '[gone](docs/gone.md)\n[no heading](docs/api.md#nothing-here)\n[outside](../shared/SPEC.md)',
        'docs/api.md': '# API\n[self](#missing)',
      }),
    );
    expect(broken.map(({ file, line, target, reason }) => `${file}:${line} ${target}: ${reason}`)).toEqual([
      'README.md:1 docs/gone.md: docs/gone.md does not exist',
      'README.md:2 docs/api.md#nothing-here: docs/api.md has no heading with the anchor #nothing-here',
      'README.md:3 ../shared/SPEC.md: points outside the repository',
      'docs/api.md:2 #missing: docs/api.md has no heading with the anchor #missing',
    ]);
  });
});
