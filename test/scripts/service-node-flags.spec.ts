import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serviceNodeFlags } from '../../scripts/bench/service';

const ROOT = join(__dirname, '..', '..');
/** How the start script and the image's entry point read the flags. */
const READ_FLAGS = `$(node -p "require('./package.json').serviceNodeFlags.join(' ')")`;

describe('the V8 flags the service runs with (package.json serviceNodeFlags)', () => {
  it('are the same for npm start, the Docker image and the benchmark', () => {
    for (const launcher of ['scripts/start.sh', 'docker/entrypoint.sh']) {
      expect(readFileSync(join(ROOT, launcher), 'utf8')).toContain(`exec node ${READ_FLAGS} dist/src/main.js`);
    }
    expect(serviceNodeFlags()).toEqual(['--max-semi-space-size=64']);
    expect(execFileSync('bash', ['-c', `echo ${READ_FLAGS}`], { cwd: ROOT, encoding: 'utf8' }).trim()).toBe('--max-semi-space-size=64');
  });

  it('are flags this Node accepts, and they let the young generation grow further than without them', () => {
    const churn = "let k=[];for(let i=0;i<3e6;i++){k.push({a:i,b:'x'+i});if(k.length>5e4)k=[]}";
    const newSpace = (flags: string[]) =>
      Number(
        execFileSync(process.execPath, [...flags, '-e', `${churn};console.log(require('v8').getHeapSpaceStatistics().find(s=>s.space_name==='new_space').space_size)`], {
          encoding: 'utf8',
        }),
      );
    expect(newSpace(serviceNodeFlags())).toBeGreaterThan(newSpace([]));
  });
});
