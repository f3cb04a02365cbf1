import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsNumber, IsOptional, IsString, Max, MaxLength, Min, ValidateBy } from 'class-validator';
import { REASONING_EFFORTS, ReasoningEffort, SERVICE_TIERS, ServiceTier } from '../../providers/provider.types';

export const MAX_STOP_SEQUENCES = 4;
export const MAX_STOP_CHARS = 256;
export const MAX_LOGIT_BIAS_ENTRIES = 300;
export const MAX_SEED = 4_294_967_295;
export const MAX_TOP_K = 1000;
const TOKEN_ID = /^\d{1,10}$/;

const PASSED_OR_IGNORED = 'A hint: passed to providers that take it, otherwise named in the X-Ignored-Params response header (docs/parameters.md).';
const HONOURED = 'Honoured, or the model is not eligible: a named model answers 422, routing skips it (docs/parameters.md).';

/** OpenAI's `stop`: one string or up to 4, none empty. */
function IsStopSequences(): PropertyDecorator {
  const isStop = (value: unknown) => typeof value === 'string' && value.length > 0 && value.length <= MAX_STOP_CHARS;
  return ValidateBy({
    name: 'isStopSequences',
    validator: {
      validate: (value: unknown) =>
        isStop(value) || (Array.isArray(value) && value.length >= 1 && value.length <= MAX_STOP_SEQUENCES && value.every(isStop)),
      defaultMessage: () => `stop must be a string or an array of 1 to ${MAX_STOP_SEQUENCES} strings, each 1 to ${MAX_STOP_CHARS} characters`,
    },
  });
}

/** OpenAI's `logit_bias`: token ids (decimal strings) to biases of -100..100, at most 300 of them. */
function IsLogitBias(): PropertyDecorator {
  const isEntry = ([key, bias]: [string, unknown]) => TOKEN_ID.test(key) && typeof bias === 'number' && Number.isFinite(bias) && bias >= -100 && bias <= 100;
  return ValidateBy({
    name: 'isLogitBias',
    validator: {
      validate: (value: unknown) => {
        if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
        const entries = Object.entries(value);
        return entries.length <= MAX_LOGIT_BIAS_ENTRIES && entries.every(isEntry);
      },
      defaultMessage: () => `logit_bias must map at most ${MAX_LOGIT_BIAS_ENTRIES} token ids (decimal strings) to numbers from -100 to 100`,
    },
  });
}

/**
 * OpenAI's sampling parameters and hints, one definition for `/api/models/*` and `/v1/*`. `stop`
 * and `top_p` (like `temperature` and `max_tokens`) change the answer; the rest are hints.
 */
export abstract class SamplingFieldsDto {
  @ApiPropertyOptional({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: MAX_STOP_SEQUENCES }],
    example: ['\n\n'],
    description: `Up to ${MAX_STOP_SEQUENCES} sequences (1-${MAX_STOP_CHARS} characters) that end the answer, not included in it. ${HONOURED}`,
  })
  @IsOptional()
  @IsStopSequences()
  stop?: string | string[];

  @ApiPropertyOptional({ minimum: 0, maximum: 1, example: 0.9, description: `Nucleus sampling. ${HONOURED}` })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  top_p?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_TOP_K, example: 40, description: `Sample from the k most likely tokens only. ${PASSED_OR_IGNORED}` })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_TOP_K)
  top_k?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: MAX_SEED, example: 42, description: `Sampling seed. ${PASSED_OR_IGNORED}` })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_SEED)
  seed?: number;

  @ApiPropertyOptional({ minimum: -2, maximum: 2, example: 0.5, description: PASSED_OR_IGNORED })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(-2)
  @Max(2)
  presence_penalty?: number;

  @ApiPropertyOptional({ minimum: -2, maximum: 2, example: 0.5, description: PASSED_OR_IGNORED })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(-2)
  @Max(2)
  frequency_penalty?: number;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'number', minimum: -100, maximum: 100 },
    example: { '50256': -100 },
    description: `Token id (OpenAI tokenizer) to bias, at most ${MAX_LOGIT_BIAS_ENTRIES} entries. ${PASSED_OR_IGNORED}`,
  })
  @IsOptional()
  @IsLogitBias()
  logit_bias?: Record<string, number>;

  @ApiPropertyOptional({ example: 'user-42', description: `The end user's id (also recorded as metadata user_id on /v1). ${PASSED_OR_IGNORED}` })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  user?: string;

  @ApiPropertyOptional({ enum: REASONING_EFFORTS, description: PASSED_OR_IGNORED })
  @IsOptional()
  @IsIn(REASONING_EFFORTS)
  reasoning_effort?: ReasoningEffort;

  @ApiPropertyOptional({ enum: SERVICE_TIERS, description: PASSED_OR_IGNORED })
  @IsOptional()
  @IsIn(SERVICE_TIERS)
  service_tier?: ServiceTier;

  @ApiPropertyOptional({ example: false, description: `Passed beside tools; without them it has no effect and is named as ignored. ${PASSED_OR_IGNORED}` })
  @IsOptional()
  @IsBoolean()
  parallel_tool_calls?: boolean;
}
