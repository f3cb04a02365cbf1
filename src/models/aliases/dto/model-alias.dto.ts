import { ApiProperty } from '@nestjs/swagger';
import { ValidateBy } from 'class-validator';
import { isValidAlias, isValidTarget, MAX_ALIAS_LENGTH } from '../alias-table';
import type { ModelAliasRow } from '../model-aliases.repository';

const IsModelAlias = () =>
  ValidateBy({
    name: 'isModelAlias',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && isValidAlias(value),
      defaultMessage: () =>
        `alias must be 1-${MAX_ALIAS_LENGTH} letters, digits and . _ - : /, starting with a letter or digit, optionally ending in * ` +
        '(a prefix pattern); "auto" and "auto:..." are reserved',
    },
  });

const IsAliasTarget = () =>
  ValidateBy({
    name: 'isAliasTarget',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && isValidTarget(value),
      defaultMessage: () => 'target must be a registered model id, "auto" or "auto:<task_type>" (a lower-case identifier)',
    },
  });

export class ModelAliasPathDto {
  @ApiProperty({ example: 'claude-3-5-haiku-*', description: 'An exact name, or a prefix pattern ending in `*`; send `/` as `%2F`' })
  @IsModelAlias()
  alias: string;
}

export class PutModelAliasDto {
  @ApiProperty({ example: 'auto:code_generation', description: 'A registered model id, `auto` or `auto:<task_type>`' })
  @IsAliasTarget()
  target: string;
}

export class ModelAliasView {
  @ApiProperty({ example: 'claude-3-5-haiku-*' })
  alias: string;

  @ApiProperty({ example: 'auto:code_generation' })
  target: string;

  @ApiProperty({ example: '2026-01-05T10:00:00.000Z' })
  created_at: string;

  @ApiProperty({ example: '2026-01-05T10:00:00.000Z' })
  updated_at: string;
}

export class ModelAliasListView {
  @ApiProperty({ type: [ModelAliasView], description: 'Sorted by alias (byte order)' })
  aliases: ModelAliasView[];
}

export function toModelAliasView(row: ModelAliasRow): ModelAliasView {
  return { alias: row.alias, target: row.target, created_at: row.created_at.toISOString(), updated_at: row.updated_at.toISOString() };
}
