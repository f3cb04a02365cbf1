import { Logger } from '@nestjs/common';
import { readdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { readLocalModelInfo } from '../../providers/local/gguf-info';
import { RegisterModelDto } from '../dto/register-model.dto';

const logger = new Logger('LocalModelDiscovery');

/**
 * A discovered model's context is its trained length capped here: the local adapter allocates the
 * registered context for each of its parallel sequences, and a 128K context would take gigabytes.
 * Operators raise it per model with `model.register`.
 */
const MAX_DISCOVERED_CONTEXT = 8192;
/** Generation length offered for a discovered model, capped so one request cannot hold a model for long. */
const MAX_DISCOVERED_TOKEN_LIMIT = 2048;

/**
 * Every `*.gguf` file in `dir` but those `except` (absolute paths) as a local model registration:
 * id `local/<file name>`, context length from the GGUF metadata, price 0. A missing folder means no
 * local models; an unreadable file is skipped with a warning rather than stopping the boot.
 */
export async function discoverLocalModels(dir: string, { except = [] }: { except?: string[] } = {}): Promise<RegisterModelDto[]> {
  const files = await readdir(dir).catch(() => [] as string[]);
  const registrations: RegisterModelDto[] = [];
  const fileOf = new Map<string, string>();
  for (const file of files.filter((f) => f.toLowerCase().endsWith('.gguf')).sort()) {
    const path = resolve(join(dir, file));
    if (except.includes(path)) continue;
    // `Foo.gguf` and `foo.GGUF` name one model; one registration per id, or the boot's upsert fails.
    const id = localModelId(file);
    const taken = fileOf.get(id);
    if (taken !== undefined) {
      logger.warn(`Skipping ${path}: its model id ${id} is already that of ${taken}; rename one of them`);
      continue;
    }
    try {
      const info = await readLocalModelInfo(path);
      registrations.push({
        model_id: id,
        provider: 'local',
        capabilities: ['chat', 'completion', 'embedding'],
        configuration: { options: { model_path: path } },
        properties: {
          context_length: Math.min(info.contextLength, MAX_DISCOVERED_CONTEXT),
          token_limit: Math.min(info.contextLength, MAX_DISCOVERED_TOKEN_LIMIT),
          pricing: { input: 0, output: 0 },
        },
        metadata: {
          version: info.architecture,
          description: `${file} (${info.name ?? info.architecture}, GGUF, ${(info.sizeBytes / 1e6).toFixed(1)} MB) found in ${dir}`,
        },
      });
      fileOf.set(id, file);
    } catch (error) {
      logger.warn(`Skipping ${path}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return registrations;
}

/** `Llama-3.2-1B.Q4_K_M.gguf` -> `local/llama-3.2-1b.q4_k_m`. */
export function localModelId(file: string): string {
  const stem = basename(file).replace(/\.gguf$/i, '');
  return `local/${stem.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').slice(0, 120)}`;
}
