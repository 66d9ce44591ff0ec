// Writing a small state file so that a crash at any moment leaves either the old content or
// the new, never a mix: the text goes to a temporary file beside it, is flushed to disk,
// renamed over the file, and the directory entry is flushed too.
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

export async function writeFileDurably(file: string, text: string): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  // The state folder may not exist yet on a first write; it holds secrets, so owner only.
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    const handle = await open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
  await syncDirectory(path.dirname(file));
}

/** Flushes a directory's entries (the rename); some file systems refuse, which loses nothing already renamed. */
async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // EISDIR/EINVAL/EPERM on platforms that cannot fsync a directory.
  } finally {
    await handle?.close();
  }
}
