import fs from 'node:fs';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerModel } from '../support/factories';
import { FakeServer, startFakeOpenAi } from '../support/fake-openai';
import { request } from '../support/http';
import { startTestApp, TestApp } from '../support/test-app';
import { TINY_MODEL } from '../support/paths';

describe('local models found in MODELS_DIR', () => {
  let service: TestApp;
  let dir: string;
  let openai: FakeServer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mos-models-'));
    await copyFile(TINY_MODEL, join(dir, 'Tiny-Stories.Q8.gguf'));
    // The same model id as the file above: skipped with a warning, not a failed boot.
    await copyFile(TINY_MODEL, join(dir, 'tiny-stories.q8.GGUF'));
    await writeFile(join(dir, 'broken.gguf'), 'not a gguf file');
    await writeFile(join(dir, 'notes.txt'), 'ignored');
    service = await startTestApp({ MODELS_DIR: dir });
    openai = await startFakeOpenAi();
  });

  afterAll(async () => {
    await service.close();
    await openai.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('registers each readable GGUF file at boot as an available, free local model', async () => {
    const { body } = await request(service.baseUrl, 'GET', '/api/models?provider=local');
    const found = body.models.filter((m: { id: string }) => m.id.startsWith('local/'));
    expect(found).toEqual([
      {
        id: 'local/tiny-stories.q8',
        provider: 'local',
        capabilities: ['chat', 'completion', 'embedding'],
        properties: { context_length: 2048, token_limit: 2048, pricing: { input: 0, output: 0 } },
        metadata: { version: 'llama', description: expect.stringContaining('Tiny-Stories.Q8.gguf'), available: true, circuit: { state: 'closed', consecutive_failures: 0 } },
      },
    ]);
  });

  it('serves the discovered file without further setup', async () => {
    const { status, body } = await request(service.baseUrl, 'POST', '/api/models/embeddings', {
      body: { texts: ['Once upon a time'], model_id: 'local/tiny-stories.q8' },
    });
    expect(status).toBe(200);
    expect(body.model).toEqual({ id: 'local/tiny-stories.q8', provider: 'local' });
    expect(body.embeddings[0]).toHaveLength(64);
  });

  it('routes past a registered local model whose file will not load, instead of failing every request that considers it', async () => {
    // A long prompt against a small context makes routing count its tokens with the model's own tokenizer, which loads the file.
    await registerModel(service, {
      model_id: 'unloadable',
      provider: 'local',
      capabilities: ['chat'],
      options: { model_path: join(dir, 'broken.gguf') },
      context_length: 64,
      token_limit: 16,
    });
    await registerModel(service, { model_id: 'remote', provider: 'openai', capabilities: ['chat'], api_url: openai.url });
    openai.behave('remote', { text: 'answered' });
    const { status, body } = await request(service.baseUrl, 'POST', '/api/models/chat', {
      body: { model_id: 'remote', messages: [{ role: 'user', content: 'a long question '.repeat(20) }], max_tokens: 8 },
    });
    expect(status).toBe(200);
    expect(body).toMatchObject({ content: 'answered', model: { id: 'remote' } });
  });

  it('knows whether a model file exists without touching the disk on a request', async () => {
    const path = join(dir, 'later.gguf');
    await registerModel(service, { model_id: 'later', provider: 'local', capabilities: ['chat'], options: { model_path: path } });
    const later = async () => (await request(service.baseUrl, 'GET', '/api/models?provider=local')).body.models.find((m: { id: string }) => m.id === 'later');
    expect((await later()).metadata).toMatchObject({ available: false, unavailable_reason: `model file not found: ${path}` });

    // A file on a mount that hangs would stall every request if routing looked at it synchronously.
    const looks = ['existsSync', 'statSync', 'accessSync', 'lstatSync'].map((name) => jest.spyOn(fs, name as 'existsSync'));
    try {
      const { status } = await request(service.baseUrl, 'POST', '/api/models/chat', {
        body: { model_id: 'local/tiny-stories.q8', messages: [{ role: 'user', content: 'Once' }], max_tokens: 2 },
      });
      expect(status).toBe(200);
      for (const look of looks) expect(look).not.toHaveBeenCalled();
    } finally {
      for (const look of looks) look.mockRestore();
    }

    // Registering again (or the next background check, within 10 s) sees a file copied in meanwhile.
    await copyFile(TINY_MODEL, path);
    await registerModel(service, { model_id: 'later', provider: 'local', capabilities: ['chat'], options: { model_path: path } });
    expect((await later()).metadata).toMatchObject({ available: true });
  });

  it('reports the catalogue local model unavailable when LOCAL_MODEL_PATH is not set', async () => {
    const { body } = await request(service.baseUrl, 'GET', '/api/models?provider=local');
    const catalogue = body.models.find((m: { id: string }) => m.id === 'stories260k');
    expect(catalogue.metadata).toMatchObject({ available: false, unavailable_reason: expect.stringContaining('LOCAL_MODEL_PATH') });
  });
});
