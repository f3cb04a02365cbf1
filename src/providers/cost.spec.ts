import { estimateCost } from './cost';

describe('estimateCost', () => {
  it('charges prompt tokens at the input price and completion tokens at the output price, per 1K', () => {
    expect(estimateCost({ input: 0.0025, output: 0.01 }, { prompt: 1000, completion: 500 })).toBe(0.0075);
    expect(estimateCost({ input: 0.00015, output: 0.0006 }, { prompt: 12, completion: 7 })).toBe(0.000006);
  });

  it('is zero for free models and for no tokens', () => {
    expect(estimateCost({ input: 0, output: 0 }, { prompt: 5000, completion: 5000 })).toBe(0);
    expect(estimateCost({ input: 0.01, output: 0.03 }, { prompt: 0, completion: 0 })).toBe(0);
  });
});
