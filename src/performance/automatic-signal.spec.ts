import { automaticQuality } from './automatic-signal';

describe('automaticQuality', () => {
  it('judges an empty answer as quality 0 whatever the finish reason', () => {
    expect(automaticQuality('  ', 'stop')).toBe(0);
    expect(automaticQuality('', 'length')).toBe(0);
  });

  it('marks down filtered and truncated answers', () => {
    expect(automaticQuality('partial', 'content_filter')).toBe(0.25);
    expect(automaticQuality('partial', 'length')).toBe(0.6);
  });

  it('gives no quality signal for a normal answer', () => {
    expect(automaticQuality('fine', 'stop')).toBeNull();
    expect(automaticQuality('call', 'tool_calls')).toBeNull();
  });
});
