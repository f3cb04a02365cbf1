import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [join(dir, entry.name)] : [],
  );
}

describe('CommandHandler', () => {
  it('guards every class of Redis command handlers: no command payload reaches validation unchecked', () => {
    const handlers = sourceFiles(join(__dirname, '..', '..')).filter((file) => /@(MessagePattern|EventPattern)\(/.test(readFileSync(file, 'utf8')));
    expect(handlers.length).toBeGreaterThanOrEqual(4);
    const unguarded = handlers.filter((file) => {
      const source = readFileSync(file, 'utf8');
      return !source.includes('@CommandHandler()') || /@Controller\(/.test(source);
    });
    expect(unguarded).toEqual([]);
  });
});
