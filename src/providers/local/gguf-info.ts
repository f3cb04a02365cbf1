import { stat } from 'node:fs/promises';
import { errorMessage, importNodeLlamaCpp } from './node-llama-cpp';

/** What model discovery needs from a GGUF file, read from its header without loading the weights. */
export interface LocalModelInfo {
  /** The context length the model was trained with (`<architecture>.context_length`). */
  contextLength: number;
  /** Size of the file on disk (the first part only, for a split model). */
  sizeBytes: number;
  /** `general.architecture`, e.g. `llama`. */
  architecture: string;
  /** `general.name`, where the file has one. */
  name: string | null;
}

/** Reads a GGUF file's metadata; throws (a plain Error) when the file is missing or not a usable GGUF. */
export async function readLocalModelInfo(path: string): Promise<LocalModelInfo> {
  const { readGgufFileInfo } = await importNodeLlamaCpp();
  try {
    const [info, file] = await Promise.all([
      readGgufFileInfo(path, { sourceType: 'filesystem', readTensorInfo: false, logWarnings: false }),
      stat(path),
    ]);
    const contextLength = info.architectureMetadata.context_length;
    if (typeof contextLength !== 'number' || !(contextLength >= 1)) throw new Error('no positive context_length in its metadata');
    return {
      contextLength,
      sizeBytes: file.size,
      architecture: info.metadata.general.architecture,
      name: info.metadata.general.name ?? null,
    };
  } catch (error) {
    // node-llama-cpp's errors come from another realm under jest; a local Error keeps `instanceof` working for callers.
    throw new Error(`Cannot read GGUF metadata of ${path}: ${errorMessage(error)}`);
  }
}
