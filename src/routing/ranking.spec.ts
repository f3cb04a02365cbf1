import { ModelEntity } from '../models/model.entity';
import { capabilityProblem, defaultTemperature, rank, RoutingNeeds, utilityOf } from './ranking';

function model(id: string, overrides: Partial<ModelEntity> = {}): ModelEntity {
  return Object.assign(new ModelEntity(), {
    id,
    provider: 'openai',
    capabilities: ['chat', 'completion'],
    contextLength: 8000,
    tokenLimit: 4000,
    priceInput: 0.001,
    priceOutput: 0.002,
    ...overrides,
  });
}

const needs = (overrides: Partial<RoutingNeeds> = {}): RoutingNeeds => ({
  anyOf: ['chat'],
  allOf: [],
  promptTokensAtMost: 10,
  maxTokens: undefined,
  minQuality: undefined,
  reliability: undefined,
  ...overrides,
});

describe('capabilityProblem', () => {
  it('accepts a model with any of the serving capabilities and all required ones', () => {
    expect(capabilityProblem(model('m', { capabilities: ['completion', 'code'] }), needs({ anyOf: ['completion', 'chat'], allOf: ['code'] }))).toBeNull();
  });

  it('names the missing serving capability', () => {
    expect(capabilityProblem(model('m', { capabilities: ['embedding'] }), needs())).toBe('it has none of the capabilities chat');
  });

  it('names missing required capabilities', () => {
    expect(capabilityProblem(model('m'), needs({ allOf: ['code', 'vision'] }))).toBe('it lacks the required capabilities code, vision');
  });

  it('refuses max_tokens above the model token limit', () => {
    expect(capabilityProblem(model('m', { tokenLimit: 100 }), needs({ maxTokens: 101 }))).toContain('exceeds its token limit 100');
  });
});

describe('rank', () => {
  const scored = (id: string, quality: number, successRate: number, price = 0.001) => ({
    model: model(id, { priceInput: price, priceOutput: price }),
    scores: { quality, successRate },
  });

  it('puts the highest expected quality first', () => {
    const order = rank([scored('ok', 0.6, 0.9), scored('best', 0.9, 0.9), scored('poor', 0.3, 0.9)], undefined);
    expect(order.map((c) => c.model.id)).toEqual(['best', 'ok', 'poor']);
  });

  it('lets reliability favour the model that fails less over a slightly better one', () => {
    const flaky = scored('flaky', 0.9, 0.6);
    const steady = scored('steady', 0.7, 0.99);
    expect(rank([flaky, steady], 0)[0].model.id).toBe('flaky');
    expect(rank([flaky, steady], 1)[0].model.id).toBe('steady');
  });

  it('prefers the cheaper of two equally good models, but never a worse one for price', () => {
    expect(rank([scored('dear', 0.8, 0.9, 0.05), scored('cheap', 0.8, 0.9, 0.0001)], undefined)[0].model.id).toBe('cheap');
    expect(rank([scored('dear', 0.85, 0.9, 0.05), scored('cheap', 0.8, 0.9, 0.0001)], undefined)[0].model.id).toBe('dear');
  });

  it('breaks exact ties by id, so the order is deterministic', () => {
    expect(rank([scored('b', 0.8, 0.9), scored('a', 0.8, 0.9)], undefined).map((c) => c.model.id)).toEqual(['a', 'b']);
  });
});

describe('utilityOf', () => {
  it('weights success rate from 20% at reliability 0 to 50% at reliability 1', () => {
    expect(utilityOf({ quality: 1, successRate: 0 }, 0, 0, 0)).toBeCloseTo(0.8);
    expect(utilityOf({ quality: 1, successRate: 0 }, 0, 0, 1)).toBeCloseTo(0.5);
  });
});

describe('defaultTemperature', () => {
  it('leaves the provider default when neither creativity nor reliability is given', () => {
    expect(defaultTemperature(undefined, undefined)).toBeUndefined();
  });

  it('maps creativity 0..1 to 0.2..1.2', () => {
    expect(defaultTemperature(0, undefined)).toBe(0.2);
    expect(defaultTemperature(1, undefined)).toBe(1.2);
  });

  it('scales the temperature down with reliability', () => {
    expect(defaultTemperature(undefined, 1)).toBe(0.14);
    expect(defaultTemperature(1, 0.5)).toBe(0.72);
  });
});
