/** Dotted layer names (`blocks.0.attn.qkv`), as PyTorch state dicts spell them; used in errors. */
export function childName(parent: string | undefined, child: string | number): string {
  return parent ? `${parent}.${child}` : String(child);
}
