import { loadCatalogue } from './catalogue';

describe('built-in catalogue', () => {
  const catalogue = loadCatalogue();

  it('passes the model.register validation for every entry', () => {
    expect(catalogue.length).toBeGreaterThanOrEqual(10);
  });

  it('has unique ids and a price date for every entry', () => {
    const ids = catalogue.map((e) => e.registration.model_id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const entry of catalogue) expect(entry.pricesAsOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('covers every provider kind and an embedding model for the hosted ones', () => {
    const providers = new Set(catalogue.map((e) => e.registration.provider));
    expect([...providers].sort()).toEqual(['anthropic', 'local', 'ollama', 'openai']);
    const embedders = catalogue.filter((e) => e.registration.capabilities.includes('embedding'));
    expect(new Set(embedders.map((e) => e.registration.provider))).toEqual(new Set(['openai', 'ollama', 'local']));
  });

  it('prices every hosted model and leaves self-hosted ones free', () => {
    for (const { registration } of catalogue) {
      const pricing = registration.properties?.pricing;
      if (registration.provider === 'openai' || registration.provider === 'anthropic') {
        expect(pricing?.input).toBeGreaterThan(0);
      } else {
        expect(pricing).toEqual({ input: 0, output: 0 });
      }
    }
  });

  it("prices prompt-cache reads below the input price, and every Anthropic model's cache writes above it", () => {
    for (const { registration } of catalogue) {
      const pricing = registration.properties?.pricing;
      if (pricing?.cached_input != null) expect(pricing.cached_input).toBeLessThan(pricing.input ?? 0);
      if (registration.provider === 'anthropic') {
        expect(pricing?.cached_input).toBeCloseTo((pricing?.input ?? 0) * 0.1, 12);
        expect(pricing?.cache_write).toBeCloseTo((pricing?.input ?? 0) * 1.25, 12);
      } else {
        expect(pricing?.cache_write).toBeUndefined();
      }
    }
  });
});
