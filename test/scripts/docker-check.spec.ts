import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkCompose, checkDockerFiles, checkDockerfile, envVarsReadBy } from '../../scripts/lib/docker-check';

const root = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const exists = (path: string) => existsSync(join(root, path));

const dockerfile = read('Dockerfile');
const compose = read('docker-compose.yml');
const configSource = read('src/config/app-config.ts');
const knownEnv = envVarsReadBy(configSource);

/** The text with `from` replaced once, failing the test when `from` is not there (so each case really edits the file). */
function edit(text: string, from: string | RegExp, to: string): string {
  const edited = text.replace(from, to);
  expect(edited).not.toBe(text);
  return edited;
}

describe('Docker files check', () => {
  it('passes on the repository’s Dockerfile and docker-compose.yml', () => {
    expect(checkDockerFiles({ dockerfile, compose, configSource, exists })).toEqual([]);
  });

  it('reads the variable names from the app config', () => {
    expect([...knownEnv]).toEqual(expect.arrayContaining(['PORT', 'DATABASE_URL', 'REDIS_URL', 'OPENAI_API_KEY', 'LOCAL_MODEL_PATH']));
  });

  describe('Dockerfile', () => {
    it('fails without a USER in the runtime stage', () => {
      expect(checkDockerfile(edit(dockerfile, /^USER node\n/m, ''), exists)).toContain('the runtime stage has no USER, so it runs as root');
    });

    it('fails when the runtime stage runs as root', () => {
      expect(checkDockerfile(edit(dockerfile, /^USER node$/m, 'USER root'), exists)).toContain('the runtime stage runs as root');
      expect(checkDockerfile(edit(dockerfile, /^USER node$/m, 'USER 0:0'), exists)).toContain('the runtime stage runs as 0:0');
    });

    it('fails on a single stage', () => {
      const single = 'FROM node:20-slim\nUSER node\nCMD ["node", "dist/src/main.js"]\n';
      expect(checkDockerfile(single, exists)).toEqual(['1 stage(s); a build stage and a runtime stage are expected']);
    });

    it('fails on another base image, npm install, no entry point, an unknown instruction and a missing COPY source', () => {
      let broken = edit(dockerfile, /^FROM node:20[^ ]* AS runtime$/m, 'FROM node:22 AS runtime');
      broken = edit(broken, /npm ci --omit=dev/, 'npm install --omit=dev');
      broken = edit(broken, /^ENTRYPOINT .*$/m, 'ENTRYPOIN ["node"]');
      broken = edit(broken, 'COPY models ./models', 'COPY weights ./models');
      const problems = checkDockerfile(broken, exists).join('\n');
      expect(problems).toMatch(/stage from node:22, expected node:20/);
      expect(problems).toMatch(/runtime stage from node:22, expected a slim image/);
      expect(problems).toMatch(/npm install; only npm ci/);
      expect(problems).toMatch(/installs no production-only dependencies/);
      expect(problems).toMatch(/unknown instruction ENTRYPOIN/);
      expect(problems).toMatch(/neither ENTRYPOINT nor CMD/);
      expect(problems).toMatch(/COPY source weights does not exist/);
    });
  });

  describe('docker-compose.yml', () => {
    it('fails on YAML that does not parse', () => {
      const problems = checkCompose(edit(compose, 'services:', 'services: [\n'), knownEnv);
      expect(problems.length).toBeGreaterThan(0);
      expect(problems[0]).toMatch(/^does not parse: /);
    });

    it('fails on a variable the app does not read', () => {
      const problems = checkCompose(edit(compose, '      REDIS_URL:', '      REDIS_HOST: redis\n      REDIS_URL:'), knownEnv);
      expect(problems).toEqual(['app sets REDIS_HOST, which the app does not read (src/config/app-config.ts)']);
    });

    it('fails when the app config renames a variable compose sets', () => {
      const renamed = envVarsReadBy(edit(configSource, "read.url('REDIS_URL'", "read.url('REDIS_ADDRESS'"));
      expect(checkCompose(compose, renamed)).toEqual(['app sets REDIS_URL, which the app does not read (src/config/app-config.ts)']);
    });

    it('fails when no variable names can be found in the config', () => {
      expect(checkCompose(compose, new Set())).toEqual(['no variable names found in the app config; has its reader changed?']);
    });

    it('fails on a key written into the file', () => {
      const problems = checkCompose(edit(compose, '${OPENAI_API_KEY:-}', 'sk-live-1234'), knownEnv);
      expect(problems).toEqual(['app has OPENAI_API_KEY written in the file; take it from the environment as ${OPENAI_API_KEY:-}']);
    });

    it('fails when the app does not wait for healthy databases, or a service is missing', () => {
      let broken = edit(compose, 'postgres: { condition: service_healthy }', 'postgres: { condition: service_started }');
      broken = edit(broken, /\n {2}redis:\n(?: {4}.*\n)+/, '\n');
      expect(checkCompose(broken, knownEnv)).toEqual([
        'no service redis',
        'app does not depend on postgres with condition: service_healthy',
      ]);
    });

    it('fails when the app is not built or points at other hosts', () => {
      let broken = edit(compose, '    build: .\n', '');
      broken = edit(broken, 'redis://redis:6379', 'redis://127.0.0.1:6379');
      expect(checkCompose(broken, knownEnv)).toEqual([
        'app is not built from the Dockerfile (no build)',
        "app's REDIS_URL points at 127.0.0.1, not the redis service",
      ]);
    });

    it('accepts environment as a list', () => {
      const asList = 'services:\n  app:\n    build: .\n    environment: [DATABASE_URL=postgres://postgres@postgres/x, REDIS_URL=redis://redis, OPENAI_API_KEY]\n'
        + '    depends_on: { postgres: { condition: service_healthy }, redis: { condition: service_healthy } }\n'
        + '  postgres: { image: postgres:16, healthcheck: { test: [CMD, pg_isready] } }\n'
        + '  redis: { image: redis:7, healthcheck: { test: [CMD, redis-cli, ping] } }\n';
      expect(checkCompose(asList, knownEnv)).toEqual([]);
    });
  });
});
