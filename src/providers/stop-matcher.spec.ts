import { StopMatcher } from './stop-matcher';

describe('StopMatcher', () => {
  const run = (stops: string[], deltas: string[]) => {
    const matcher = new StopMatcher(stops);
    const sent = deltas.map((delta) => matcher.add(delta));
    return { sent, rest: matcher.flush(), stopped: matcher.isStopped };
  };

  it('passes text through when no stop sequence occurs', () => {
    expect(run(['END'], ['Once ', 'upon'])).toEqual({ sent: ['Once ', 'upon'], rest: '', stopped: false });
  });

  it('ends before a stop sequence inside one delta', () => {
    expect(run(['.'], ['Once upon. a time'])).toEqual({ sent: ['Once upon'], rest: '', stopped: true });
  });

  it('holds back a possible start of a stop sequence until the next delta settles it', () => {
    expect(run(['END'], ['a E', 'N', 'D b'])).toEqual({ sent: ['a ', '', ''], rest: '', stopped: true });
    expect(run(['END'], ['a E', 'N', 'x'])).toEqual({ sent: ['a ', '', 'ENx'], rest: '', stopped: false });
  });

  it('releases held text when generation ends first', () => {
    expect(run(['END'], ['a EN'])).toEqual({ sent: ['a '], rest: 'EN', stopped: false });
  });

  it('stops at the earliest of several sequences and sends nothing after', () => {
    expect(run(['b', 'a'], ['xab', 'more'])).toEqual({ sent: ['x', ''], rest: '', stopped: true });
  });
});
