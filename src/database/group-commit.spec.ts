import { GroupCommit } from './group-commit';

interface Item {
  id: string;
  bad?: boolean;
}

/** A batch writer whose writes finish only when the test says so. */
function fakeWriter({ databaseAway = false }: { databaseAway?: boolean } = {}) {
  // A bad row fails its statement; with the database away, node-postgres's error carries a socket code.
  const failure = () => Object.assign(new Error('bad row'), databaseAway ? { code: 'ECONNREFUSED' } : {});
  const batches: string[][] = [];
  const pending: (() => void)[] = [];
  const commit = new GroupCommit<Item, string>(
    (items) => {
      batches.push(items.map((i) => i.id));
      return new Promise((resolve, reject) =>
        pending.push(() => (items.some((i) => i.bad) ? reject(failure()) : resolve(items.map((i) => `written ${i.id}`)))),
      );
    },
    { maxBatch: 3, key: (item) => item.id },
  );
  const finishAll = async () => {
    while (pending.length > 0) {
      pending.splice(0).forEach((finish) => finish());
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return { commit, batches, pending, finishAll };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('GroupCommit', () => {
  it('writes what arrives while a batch is in flight as the next batch, releasing each caller with its own result when its batch commits', async () => {
    const { commit, batches, pending, finishAll } = fakeWriter();
    let firstDone = false;
    const first = commit.submit({ id: 'a' }).then((r) => ((firstDone = true), r));
    await tick();
    const later = ['b', 'c', 'd', 'e'].map((id) => commit.submit({ id }));
    await tick();
    expect(batches).toEqual([['a']]);
    expect(firstDone).toBe(false);

    pending.shift()!();
    expect(await first).toBe('written a');
    await tick();
    // Up to maxBatch (3) together; the rest after.
    expect(batches).toEqual([['a'], ['b', 'c', 'd']]);
    await finishAll();
    expect(await Promise.all(later)).toEqual(['written b', 'written c', 'written d', 'written e']);
    expect(batches).toEqual([['a'], ['b', 'c', 'd'], ['e']]);
  });

  it('writes an item submitted while nothing is in flight at once, alone', () => {
    const { commit, batches } = fakeWriter();
    void commit.submit({ id: 'a' });
    expect(batches).toEqual([['a']]);
  });

  it('never puts two items with one key in a batch', async () => {
    const { commit, batches, finishAll } = fakeWriter();
    const results = [commit.submit({ id: 'first' }), commit.submit({ id: 'a' }), commit.submit({ id: 'a' }), commit.submit({ id: 'b' })];
    await tick();
    await finishAll();
    expect(await Promise.all(results)).toEqual(['written first', 'written a', 'written a', 'written b']);
    expect(batches).toEqual([['first'], ['a', 'b'], ['a']]);
  });

  it('writes the items of a failed batch one by one, so a bad item fails only its caller', async () => {
    const { commit, batches, finishAll } = fakeWriter();
    const results = [commit.submit({ id: 'first' }), commit.submit({ id: 'a' }), commit.submit({ id: 'b', bad: true }), commit.submit({ id: 'c' })].map((p) =>
      p.then(
        (r) => r,
        (e: Error) => e.message,
      ),
    );
    await tick();
    await finishAll();
    expect(await Promise.all(results)).toEqual(['written first', 'written a', 'bad row', 'written c']);
    expect(batches).toEqual([['first'], ['a', 'b', 'c'], ['a'], ['b'], ['c']]);
  });

  it('fails the whole batch at once when the failure is not one an item can cause (the database is away)', async () => {
    const { commit, batches, finishAll } = fakeWriter({ databaseAway: true });
    const results = [commit.submit({ id: 'first' }), commit.submit({ id: 'a', bad: true }), commit.submit({ id: 'b' })].map((p) => p.catch((e: Error) => e.message));
    await tick();
    await finishAll();
    expect(await Promise.all(results)).toEqual(['written first', 'bad row', 'bad row']);
    expect(batches).toEqual([['first'], ['a', 'b']]);
  });

  it('keeps going after a failure: the next batch is written', async () => {
    const { commit, finishAll } = fakeWriter({ databaseAway: true });
    const failed = commit.submit({ id: 'a', bad: true }).catch(() => 'failed');
    await tick();
    await finishAll();
    expect(await failed).toBe('failed');
    const next = commit.submit({ id: 'b' });
    await tick();
    await finishAll();
    expect(await next).toBe('written b');
  });
});
