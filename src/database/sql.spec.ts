import { combineSteps } from './sql';

describe('combineSteps', () => {
  it('renumbers each step after the parameters of the steps before it', () => {
    const combined = combineSteps([
      { sql: 'UPDATE a SET x = $2 WHERE id = $1', params: ['id', 'x'] },
      { sql: 'INSERT INTO b (y, z) VALUES ($1, $1 || $2)', params: ['y', 'z'] },
    ]);
    expect(combined.sql).toBe('WITH step_0 AS (UPDATE a SET x = $2 WHERE id = $1),\nstep_1 AS (INSERT INTO b (y, z) VALUES ($3, $3 || $4))\nSELECT 1');
    expect(combined.params).toEqual(['id', 'x', 'y', 'z']);
  });

  it('leaves $10 and above intact as one placeholder', () => {
    const params = Array.from({ length: 10 }, (_, i) => i);
    const combined = combineSteps([
      { sql: 'SELECT $1', params: ['first'] },
      { sql: 'SELECT $10, $1', params },
    ]);
    expect(combined.sql).toContain('SELECT $11, $2');
  });
});
