import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelFiles } from './model-files';

describe('ModelFiles', () => {
  let dir: string;
  let files: ModelFiles;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'model-files-'));
  });

  afterEach(async () => {
    files?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('knows after `track` which files exist; a folder is not a model file', async () => {
    await writeFile(join(dir, 'a.gguf'), 'GGUF');
    await mkdir(join(dir, 'folder.gguf'));
    files = new ModelFiles();
    await files.track([join(dir, 'a.gguf'), join(dir, 'missing.gguf'), join(dir, 'folder.gguf')]);
    expect(files.exists(join(dir, 'a.gguf'))).toBe(true);
    expect(files.exists(join(dir, 'missing.gguf'))).toBe(false);
    expect(files.exists(join(dir, 'folder.gguf'))).toBe(false);
  });

  it('sees a file copied in or removed at the next check', async () => {
    files = new ModelFiles({ recheckMs: 20 });
    const path = join(dir, 'later.gguf');
    await files.track([path]);
    expect(files.exists(path)).toBe(false);
    await writeFile(path, 'GGUF');
    await waitFor(() => files.exists(path) === true);
    await rm(path);
    await waitFor(() => files.exists(path) === false);
  });

  it('stops checking files no longer tracked', async () => {
    const seen: string[] = [];
    files = new ModelFiles({ recheckMs: 10, statFile: (path) => (seen.push(path), Promise.resolve({ isFile: () => true })) });
    await files.track(['/models/a.gguf', '/models/b.gguf']);
    await files.track(['/models/b.gguf']);
    seen.length = 0;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(new Set(seen)).toEqual(new Set(['/models/b.gguf']));
  });

  it('answers unknown for a file it has not checked, and starts a check', async () => {
    await writeFile(join(dir, 'new.gguf'), 'GGUF');
    files = new ModelFiles();
    expect(files.exists(join(dir, 'new.gguf'))).toBeUndefined();
    await waitFor(() => files.exists(join(dir, 'new.gguf')) === true);
  });

  it('stops waiting for a check that hangs, and never starts a second check of that file', async () => {
    let calls = 0;
    files = new ModelFiles({ waitMs: 30, recheckMs: 10, statFile: () => (calls++, new Promise(() => undefined)) });
    // Resolves (after waitMs) although the check never will; otherwise the test times out.
    await files.track(['/mnt/hung/model.gguf']);
    expect(files.exists('/mnt/hung/model.gguf')).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(calls).toBe(1);
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
