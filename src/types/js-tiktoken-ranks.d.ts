// js-tiktoken publishes its rank files through package "exports", which the project's
// CommonJS module resolution does not read; this declares their shape.
declare module 'js-tiktoken/ranks/*' {
  const ranks: { pat_str: string; special_tokens: Record<string, number>; bpe_ranks: string };
  export default ranks;
}
