import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDomainXml, type InstanceIdSource, type LibvirtDomain } from './libvirt-domain.ts';

export interface Discovery {
  readonly domains: LibvirtDomain[];
  /** Files that could not be read as a domain: logged and counted, the others still measured. */
  readonly unreadable: { readonly file: string; readonly error: string }[];
}

/**
 * The running domains: libvirt keeps one status XML per running QEMU domain in its run directory
 * (/run/libvirt/qemu/<name>.xml) and deletes it when the domain stops, so listing it each window notices VMs that
 * appear and vanish. A file that vanishes between listing and reading is a domain that just stopped: skipped.
 * A missing directory is an empty host (libvirtd not started yet), not an error.
 *
 * @example
 * const { domains } = await discoverDomains('/run/libvirt/qemu', { from: 'uuid' });
 */
export async function discoverDomains(dir: string, source: InstanceIdSource): Promise<Discovery> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((file) => file.endsWith('.xml')).sort();
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return { domains: [], unreadable: [] };
    throw error;
  }
  const domains: LibvirtDomain[] = [];
  const unreadable: { file: string; error: string }[] = [];
  for (const file of files) {
    let xml: string;
    try {
      xml = await readFile(join(dir, file), 'utf8');
    } catch (error) {
      if (error instanceof Error && 'code' in error && error.code === 'ENOENT') continue;
      throw error;
    }
    try {
      domains.push(parseDomainXml(xml, source));
    } catch (error) {
      unreadable.push({ file, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return { domains, unreadable };
}
