import { join } from 'node:path';

/** The tiny real GGUF model the repository ships (`models/`, see its README). Local-model tests run it for real. */
export const TINY_MODEL = join(__dirname, '..', '..', 'models', 'stories260K.gguf');
