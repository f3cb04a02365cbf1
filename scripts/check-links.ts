import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { findBrokenLinks } from './lib/markdown-links';

/**
 * `npm run lint:links` (part of `npm test`): every relative link and image of every Markdown file
 * in the repository must point at a file or folder that exists, and an anchor into a Markdown file
 * at one of its headings. Web links are not fetched. Exits 1 listing the broken ones.
 */

const ROOT = join(__dirname, '..');
/** Dependencies, git's own files, and what builds, tests and benchmarks write (none of it is ours to link from). */
const SKIPPED_FOLDERS = new Set(['node_modules', '.git', 'dist', 'test-results', 'coverage', 'bench-results', 'eval-results']);

function markdownFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return SKIPPED_FOLDERS.has(entry.name) ? [] : markdownFiles(path);
    return entry.isFile() && entry.name.toLowerCase().endsWith('.md') ? [path] : [];
  });
}

const toRepoPath = (path: string) => relative(ROOT, path).split(sep).join('/');

const markdown = new Map(markdownFiles(ROOT).map((path) => [toRepoPath(path), readFileSync(path, 'utf8')]));
const broken = findBrokenLinks({ markdown, exists: (path) => existsSync(join(ROOT, path)) });

if (broken.length > 0) {
  for (const link of broken) console.error(`${link.file}:${link.line}: ${link.target}: ${link.reason}`);
  console.error(`${broken.length} broken link(s) in ${markdown.size} Markdown file(s)`);
  process.exit(1);
}
console.log(`Links checked in ${markdown.size} Markdown file(s): none broken`);
