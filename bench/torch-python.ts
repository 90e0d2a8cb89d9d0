import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * A python with torch: `TAPEGRAD_TORCH_PYTHON`, else Debian's `/usr/bin/python3` (where
 * `apt-get install python3-torch` puts it, often not the `python3` first on PATH), else `python3`.
 * Debian's torch links netlib's reference BLAS; OpenBLAS unpacked by `bench/fetch-openblas.sh`
 * (or named by `TAPEGRAD_OPENBLAS_DIR`) goes first on LD_LIBRARY_PATH (`env`: the variables to add).
 */
export function torchPython(): { python: string; env: Record<string, string> } | undefined {
  const candidates = [process.env.TAPEGRAD_TORCH_PYTHON, '/usr/bin/python3', 'python3'].filter((c): c is string => Boolean(c));
  const python = candidates.find((candidate) => spawnSync(candidate, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0);
  if (python === undefined) return undefined;
  const openblas = process.env.TAPEGRAD_OPENBLAS_DIR ?? fileURLToPath(new URL('./.openblas/usr/lib/x86_64-linux-gnu/openblas-openmp', import.meta.url));
  const env: Record<string, string> = existsSync(openblas) ? { LD_LIBRARY_PATH: [openblas, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') } : {};
  return { python, env };
}
