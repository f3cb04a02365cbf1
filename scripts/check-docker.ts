import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkDockerFiles } from './lib/docker-check';

/**
 * CI's check of the Dockerfile and docker-compose.yml (`npm run lint:docker`, scripts/test.sh):
 * no container engine runs there, so both are parsed and their structure asserted instead.
 */
const root = join(__dirname, '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

const problems = checkDockerFiles({
  dockerfile: read('Dockerfile'),
  compose: read('docker-compose.yml'),
  configSource: read('src/config/app-config.ts'),
  exists: (path) => existsSync(join(root, path)),
});
if (problems.length > 0) {
  console.error(problems.map((problem) => `  - ${problem}`).join('\n'));
  process.exit(1);
}
console.log('Dockerfile and docker-compose.yml: ok');
