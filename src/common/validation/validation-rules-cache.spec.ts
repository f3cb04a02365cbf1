import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, IsInt, IsString, Min, MetadataStorage, validateSync } from 'class-validator';
import { ChatRequestDto } from '../../inference/dto/inference-request.dto';
import { OpenAiChatRequestDto } from '../../openai-compat/dto/openai-request.dto';
import { cacheValidationRules } from './validation-rules-cache';

const { getTargetValidationMetadatas: scan } = MetadataStorage.prototype;
const uncached = (target: object, schema = '') => scan.call(getMetadataStorage(), target as never, schema, false, false, undefined);

class Base {
  @IsString()
  name!: string;
}

class Derived extends Base {
  @IsInt()
  count!: number;
}

class Grouped {
  @IsString({ groups: ['strict'] })
  label!: string;
}

describe('cacheValidationRules', () => {
  // Installed before the cache wraps the storage, so it counts the scans the cache lets through.
  const scans = jest.spyOn(MetadataStorage.prototype, 'getTargetValidationMetadatas');
  beforeAll(() => cacheValidationRules());

  it('scans for a body and its nested messages once, not on every validation', () => {
    const body = () => plainToInstance(ChatRequestDto, { model_id: 'm', messages: [{ role: 'user', content: 'hello' }], max_tokens: 16 });
    expect(validateSync(body(), { whitelist: true, forbidNonWhitelisted: true })).toEqual([]);
    const afterFirst = scans.mock.calls.length;
    expect(afterFirst).toBeGreaterThan(0);
    expect(validateSync(body(), { whitelist: true, forbidNonWhitelisted: true })).toEqual([]);
    expect(scans.mock.calls.length).toBe(afterFirst);
  });

  it('answers what class-validator works out, for the hot bodies and for inherited rules', () => {
    const storage = getMetadataStorage();
    for (const target of [ChatRequestDto, OpenAiChatRequestDto, Derived]) {
      const first = storage.getTargetValidationMetadatas(target, '', false, false, undefined);
      expect(first).toEqual(uncached(target));
      expect(storage.getTargetValidationMetadatas(target, 'Parent', false, false, undefined)).toEqual(uncached(target, 'Parent'));
      // The second lookup is the kept answer, not a new scan.
      expect(storage.getTargetValidationMetadatas(target, '', false, false, undefined)).toBe(first);
      expect(storage.groupByPropertyName(first)).toBe(storage.groupByPropertyName(first));
    }
  });

  it('applies a rule added after a class was validated', () => {
    const valid = Object.assign(new Derived(), { name: 'a', count: 1 });
    expect(validateSync(valid)).toEqual([]);
    Min(2)(Derived.prototype, 'count');
    expect(validateSync(valid).map((e) => Object.keys(e.constraints ?? {}))).toEqual([['min']]);
  });

  it('still honours validation groups', () => {
    const value = Object.assign(new Grouped(), { label: 7 });
    expect(validateSync(value, { groups: ['strict'] })).toHaveLength(1);
    expect(validateSync(value, { groups: ['other'], forbidUnknownValues: false })).toEqual([]);
  });

  it('wraps the storage once however often it is called', () => {
    const storage = getMetadataStorage();
    const lookUp = storage.getTargetValidationMetadatas;
    cacheValidationRules();
    expect(storage.getTargetValidationMetadatas).toBe(lookUp);
  });
});
