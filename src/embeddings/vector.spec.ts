import { shortenEmbedding } from './vector';

describe('shortenEmbedding', () => {
  it('keeps the leading components, rescaled to unit length', () => {
    expect(shortenEmbedding([3, 4, 12], 2)).toEqual([0.6, 0.8]);
  });

  it('leaves a zero vector at zero rather than dividing by zero', () => {
    expect(shortenEmbedding([0, 0, 1], 2)).toEqual([0, 0]);
  });

  it('returns a unit vector at full length', () => {
    const v = shortenEmbedding([1, 2, 2], 3);
    expect(Math.hypot(...v)).toBeCloseTo(1, 12);
  });
});
