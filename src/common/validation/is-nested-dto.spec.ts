import { plainToInstance } from 'class-transformer';
import { IsString, validate } from 'class-validator';
import { IsNestedDto } from './is-nested-dto';
import { fieldErrors } from './validation';

class ItemDto {
  @IsString()
  name: string;
}

class HolderDto {
  @IsNestedDto(() => ItemDto)
  item: ItemDto;

  @IsNestedDto(() => ItemDto, { each: true })
  items: ItemDto[];
}

const errorsOf = async (plain: object) => fieldErrors(await validate(plainToInstance(HolderDto, plain)));

describe('IsNestedDto', () => {
  it('validates an object by its DTO, and each item of an array by it', async () => {
    expect(await errorsOf({ item: { name: 'a' }, items: [{ name: 'b' }] })).toEqual({});
    expect(Object.keys(await errorsOf({ item: { name: 1 }, items: [{ name: 'b' }, { name: 2 }] }))).toEqual(['item.name', 'items.1.name']);
  });

  it.each([[[]], [[{ name: 'a' }]], ['a'], [1], [true]])('refuses %j where one object belongs, naming the field', async (item) => {
    const fields = await errorsOf({ item, items: [] });
    expect(Object.keys(fields)).toEqual(['item']);
    expect(fields.item).toContain('item must be an object');
  });

  it.each([[{}], ['a'], [[1]], [['a']], [[[{ name: 'a' }]]], [[null]]])('refuses %j where an array of objects belongs, naming the field', async (items) => {
    const fields = await errorsOf({ item: { name: 'a' }, items });
    expect(Object.keys(fields)).toContain('items');
  });
});
