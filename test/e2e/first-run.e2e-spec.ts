import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { request } from '../support/http';
import { ServiceProcess } from '../support/service-process';
import { ADMIN_TOKEN, TestDatabase } from '../support/test-app';

const run = promisify(execFile);

/** The commands of the README's 'First request' section, one per `curl`, as a newcomer copies them. */
function firstRequestCommands(): string[] {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  const section = readme.split(/^## First request$/m)[1]?.split(/^## /m)[0] ?? '';
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  return block
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .filter((line) => line.startsWith('curl '));
}

/**
 * A fresh clone with no provider key serves real answers from the demo model it ships, and the
 * README's first commands work exactly as written.
 */
describe('first run without any provider key', () => {
  let db: TestDatabase;
  let service: ServiceProcess;
  const commands = firstRequestCommands();
  const runCommand = async (index: number): Promise<string> => {
    const command = commands[index].replaceAll('localhost:3000', service.baseUrl.replace('http://', ''));
    return (await run('bash', ['-c', command], { maxBuffer: 1 << 20 })).stdout;
  };

  beforeAll(async () => {
    db = await TestDatabase.create();
    await db.migrate();
    // Empty: the default, the shipped demo model (test services run without it otherwise).
    service = await ServiceProcess.start(db, { LOCAL_MODEL_PATH: '' });
  }, 60_000);

  afterAll(async () => {
    service?.kill();
    await db?.drop();
  });

  it('finds a completion, an OpenAI chat, a stream and embeddings in the README', () => {
    expect(commands.map((c) => /localhost:3000(\S+)/.exec(c)?.[1])).toEqual([
      '/api/models/completion',
      '/v1/chat/completions',
      '/api/models/chat',
      '/api/models/embeddings',
    ]);
  });

  it('answers the completion with text from the demo model', async () => {
    const body = JSON.parse(await runCommand(0));
    expect(body.model).toEqual({ id: 'stories260k', provider: 'local' });
    expect(body.content.trim().length).toBeGreaterThan(0);
    expect(body.usage.completion_tokens).toBeGreaterThan(0);
  });

  it('answers model "auto" on /v1/chat/completions', async () => {
    const body = JSON.parse(await runCommand(1));
    expect(body).toMatchObject({ object: 'chat.completion', choices: [{ message: { role: 'assistant', content: expect.any(String) } }] });
    expect(body.choices[0].message.content.length).toBeGreaterThan(0);
  });

  it('streams deltas, then the whole answer', async () => {
    const events = (await runCommand(2)).split('\n\n').filter(Boolean);
    expect(events[0]).toMatch(/^event: start/);
    expect(events.some((e) => e.startsWith('event: delta'))).toBe(true);
    const done = events.find((e) => e.startsWith('event: done'))!;
    expect(JSON.parse(done.split('\ndata: ')[1]).model.id).toBe('stories260k');
  });

  it('embeds with the demo model', async () => {
    const body = JSON.parse(await runCommand(3));
    expect(body.model).toEqual({ id: 'stories260k', provider: 'local' });
    expect(body.embeddings.map((v: number[]) => v.length)).toEqual([64, 64]);
  });

  it('prefers a model of a configured provider over the demo model', async () => {
    const registered = await request(service.baseUrl, 'POST', '/api/admin/models', {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      body: { model_id: 'configured', provider: 'openai', capabilities: ['chat', 'completion'], configuration: { api_url: 'http://127.0.0.1:9/v1' } },
    });
    expect(registered.status).toBe(200);
    const preview = await request(service.baseUrl, 'GET', '/api/models/routing?task_type=general');
    expect(preview.body.candidates.map((c: { model_id: string }) => c.model_id)).toEqual(['configured', 'stories260k']);
  });
});
