import { posix } from 'node:path';

/**
 * The pure half of `scripts/check-links.ts`: which links a Markdown file holds, which anchors its
 * headings make, and which links point nowhere. No file system here, so the rules have a unit spec.
 */

/** A link or image reference as written in a Markdown file. */
export interface MarkdownLink {
  /** The target as written: `docs/api.md#errors`, `#errors`, `https://...`. */
  target: string;
  /** 1-based line of the file where it is written. */
  line: number;
}

/** A link whose target does not exist, with why. */
export interface BrokenLink extends MarkdownLink {
  file: string;
  reason: string;
}

/** What the checker needs to know of the repository: its Markdown files and which paths exist. */
export interface Repository {
  /** Markdown text by path relative to the repository root (`/`-separated). */
  markdown: ReadonlyMap<string, string>;
  /** True when the path (relative to the root, `/`-separated) is a file or a folder of the repository. */
  exists(path: string): boolean;
}

/** `[text](target)`, `![alt](target)`, with an optional title; `<target>` may hold spaces. */
const INLINE_LINK = /!?\[[^\]]*\]\(\s*(<[^>]*>|[^\s)]+)(?:\s+(?:"[^"]*"|'[^']*'|\([^)]*\)))?\s*\)/g;
/** `[label]: target` (a reference definition), up to three spaces in. */
const REFERENCE_DEFINITION = /^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)/;
/** An ATX heading: `## Title`, closing hashes optional. Setext headings (underlined) are not read. */
const ATX_HEADING = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/;
/** `<a name="x">` or `id="x"` in inline HTML: anchors GitHub keeps. */
const HTML_ANCHOR = /<[a-z][^>]*\s(?:id|name)=["']([^"']+)["']/gi;
/** A URI scheme (`https:`, `mailto:`, ...): the target is outside the repository and not checked. */
const SCHEME = /^[a-z][a-z0-9+.-]*:/i;

/** A line of a Markdown file: as written, and with code blanked out (null inside fenced code blocks). */
interface MarkdownLine {
  text: string;
  prose: string | null;
}

/**
 * Lines as the checker reads them: in `prose`, inline code spans become spaces and fenced code
 * blocks are null, so a `[x](y)` shown as code is never taken for a link, nor a `# comment` in a
 * shell block for a heading.
 */
function readLines(markdown: string): MarkdownLine[] {
  let fence: string | null = null;
  return markdown.split(/\r?\n/).map((text) => {
    const opening = /^ {0,3}(`{3,}|~{3,})/.exec(text);
    if (fence === null && opening) {
      fence = opening[1];
      return { text, prose: null };
    }
    if (fence !== null) {
      if (new RegExp(`^ {0,3}${fence[0]}{${fence.length},}\\s*$`).test(text)) fence = null;
      return { text, prose: null };
    }
    return { text, prose: text.replace(/(`+)(?:(?!\1)[\s\S])*?\1/g, (span) => ' '.repeat(span.length)) };
  });
}

/** Every inline link, image and reference definition of a Markdown file, in order. */
export function extractLinks(markdown: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  readLines(markdown).forEach(({ prose }, index) => {
    if (prose === null) return;
    const line = index + 1;
    for (const match of prose.matchAll(INLINE_LINK)) links.push({ target: unbracket(match[1]), line });
    const definition = REFERENCE_DEFINITION.exec(prose);
    if (definition) links.push({ target: unbracket(definition[1]), line });
  });
  return links;
}

function unbracket(target: string): string {
  return target.startsWith('<') && target.endsWith('>') ? target.slice(1, -1) : target;
}

/**
 * GitHub's anchor for a heading: its text as rendered (inline code, emphasis and link markup
 * gone), lower-cased, every character but letters, digits, spaces, `-` and `_` dropped, spaces
 * turned into `-`.
 */
export function githubSlug(heading: string): string {
  const rendered = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/[`*]/g, '');
  return rendered
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors a Markdown file offers: one per heading (`-1`, `-2`... for repeats, as GitHub numbers them) and HTML ids. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { text, prose } of readLines(markdown)) {
    if (prose === null) continue;
    // The heading as written: its inline code is part of the anchor.
    const heading = ATX_HEADING.exec(text);
    if (heading) {
      const slug = githubSlug(heading[1]);
      const repeats = seen.get(slug) ?? 0;
      seen.set(slug, repeats + 1);
      anchors.add(repeats === 0 ? slug : `${slug}-${repeats}`);
    }
    for (const match of prose.matchAll(HTML_ANCHOR)) anchors.add(match[1]);
  }
  return anchors;
}

/** True for targets the checker leaves alone: anything with a URI scheme (`https:`, `mailto:`, ...). */
export function isExternal(target: string): boolean {
  return SCHEME.test(target);
}

/**
 * The repository path a relative target points to from the Markdown file `from`, and its anchor;
 * a path starting with `/` is taken from the root, as GitHub does. `outside` when it leaves the repository.
 */
export function resolveTarget(from: string, target: string): { path: string; anchor: string | null; outside: boolean } {
  const hash = target.indexOf('#');
  const rawPath = (hash === -1 ? target : target.slice(0, hash)).split('?')[0];
  const anchor = hash === -1 ? null : decode(target.slice(hash + 1));
  if (rawPath === '') return { path: from, anchor, outside: false };
  const joined = rawPath.startsWith('/') ? posix.normalize(rawPath.slice(1)) : posix.join(posix.dirname(from), decode(rawPath));
  const path = posix.normalize(joined).replace(/\/$/, '') || '.';
  return { path, anchor, outside: path === '..' || path.startsWith('../') };
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Every link of every Markdown file whose file, or whose heading in a Markdown file, does not exist. */
export function findBrokenLinks(repository: Repository): BrokenLink[] {
  const anchorCache = new Map<string, Set<string>>();
  const anchors = (path: string) => {
    let found = anchorCache.get(path);
    if (!found) anchorCache.set(path, (found = anchorsOf(repository.markdown.get(path) ?? '')));
    return found;
  };

  const broken: BrokenLink[] = [];
  for (const [file, markdown] of repository.markdown) {
    for (const link of extractLinks(markdown)) {
      if (isExternal(link.target)) continue;
      const { path, anchor, outside } = resolveTarget(file, link.target);
      const problem = outside
        ? 'points outside the repository'
        : !repository.exists(path)
          ? `${path} does not exist`
          : anchor !== null && repository.markdown.has(path) && !anchors(path).has(anchor)
            ? `${path} has no heading with the anchor #${anchor}`
            : null;
      if (problem) broken.push({ file, ...link, reason: problem });
    }
  }
  return broken;
}
