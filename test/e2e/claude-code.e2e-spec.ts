import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerModel } from '../support/factories';
import { startFakeAnthropic } from '../support/fake-anthropic';
import { FakeServer, startFakeOpenAi } from '../support/fake-openai';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * The real Claude Code CLI (`@anthropic-ai/claude-code` 2.1.197, the last release that declares
 * Node 18+; it is a self-contained binary) run non-interactively with ANTHROPIC_BASE_URL pointed at
 * the service: through an OpenAI-protocol model (translated) and an Anthropic model (passed through).
 * Its non-essential traffic is off, so it calls nothing but the service.
 */
describe('Claude Code (claude -p) through /v1/messages', () => {
  const CLI = join(__dirname, '..', '..', 'node_modules', '.bin', 'claude');
  const KEY = 'client-key-claude-code-0123456789';
  let service: TestApp;
  let openai: FakeServer;
  let anthropic: FakeServer;
  let home: string;

  beforeAll(async () => {
    [openai, anthropic] = await Promise.all([startFakeOpenAi(), startFakeAnthropic()]);
    service = await startTestApp({ CLIENT_API_KEYS: KEY });
    // Claude Code asks for 32,000 output tokens and sends about 20,000 of prompt and tools.
    const size = { context_length: 200_000, token_limit: 64_000 };
    await registerModel(service, { model_id: 'cc-gpt', provider: 'openai', capabilities: ['chat', 'function_calling'], api_url: openai.url, api_key: 'sk-x', ...size });
    await registerModel(service, { model_id: 'cc-claude', provider: 'anthropic', capabilities: ['chat', 'function_calling'], api_url: anthropic.url, api_key: 'sk-ant-x', options: { model: 'claude-upstream' }, ...size });
    home = await mkdtemp(join(tmpdir(), 'claude-home-'));
  });

  afterAll(async () => {
    await service.close();
    await Promise.all([openai.close(), anthropic.close()]);
    await rm(home, { recursive: true, force: true });
  });

  /** Runs `claude -p` with stdin closed (it waits for piped input otherwise); its JSON result, or its output when it fails. */
  function claude(model: string): Promise<{ result: string; is_error: boolean }> {
    const env = {
      PATH: process.env.PATH,
      HOME: home,
      TERM: 'dumb',
      ANTHROPIC_BASE_URL: service.baseUrl,
      ANTHROPIC_API_KEY: KEY,
      ANTHROPIC_MODEL: model,
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_TELEMETRY: '1',
      DISABLE_ERROR_REPORTING: '1',
      DISABLE_AUTOUPDATER: '1',
    };
    const child = spawn(CLI, ['-p', 'What is 2+2? Answer with one digit.', '--output-format', 'json'], { cwd: home, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 90_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => {
        if (code === 0) resolve(JSON.parse(stdout) as { result: string; is_error: boolean });
        else reject(new Error(`claude exited with ${code}: ${stdout.slice(0, 2000)} ${stderr.slice(0, 2000)}`));
      });
    });
  }

  it('completes against an OpenAI-protocol model, its request translated', async () => {
    openai.behave('cc-gpt', { text: '4' });

    expect(await claude('cc-gpt')).toMatchObject({ is_error: false, result: '4' });
    const sent = openai.requests.find((r) => r.path === '/v1/chat/completions')!.body;
    expect(sent.stream).toBe(true);
    expect(sent.tools.length).toBeGreaterThan(5);
    const [row] = await service.sql.query(`SELECT status, model_id FROM inference_requests ORDER BY created_at DESC LIMIT 1`);
    expect(row).toEqual({ status: 'completed', model_id: 'cc-gpt' });
  }, 120_000);

  it('completes against an Anthropic model, its request passed through', async () => {
    anthropic.behave('claude-upstream', { text: '4' });

    expect(await claude('cc-claude')).toMatchObject({ is_error: false, result: '4' });
    const sent = anthropic.requests.at(-1)!;
    expect(sent.body).toMatchObject({ model: 'claude-upstream', stream: true, thinking: expect.any(Object) });
    expect(sent.headers['anthropic-beta']).toContain('claude-code');
  }, 120_000);
});
