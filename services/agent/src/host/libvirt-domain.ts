import { XMLParser } from 'fast-xml-parser';

/** Where a domain's instance id comes from: its libvirt UUID, or an element in its `<metadata>`. */
export type InstanceIdSource = { readonly from: 'uuid' } | { readonly from: 'metadata'; readonly element: string };

/** What the agent needs from one libvirt domain. */
export interface LibvirtDomain {
  readonly name: string;
  readonly uuid: string;
  /** The running domain's numeric id (status XML under /run/libvirt/qemu), used in its cgroup's name. */
  readonly domainId: string | undefined;
  readonly instanceId: string;
  /** True when metadata was asked for but absent, so the UUID stands in (metering sends it to late data). */
  readonly instanceIdFallback: boolean;
  /** Host-side tap devices in guest order; an interface without a target (not running, hostdev) is left out. */
  readonly nics: readonly { readonly device: string; readonly interfaceId: string }[];
  /** `<resource><partition>`, e.g. "/machine"; undefined when the XML has none. */
  readonly partition: string | undefined;
}

// Namespaces dropped: metadata elements carry an application's prefix (nova:instance, tally:instance).
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  isArray: (name) => name === 'interface',
  processEntities: true,
});

type Node = Record<string, unknown>;

function child(node: unknown, name: string): unknown {
  return typeof node === 'object' && node !== null ? (node as Node)[name] : undefined;
}

/** Text of an element, whether fast-xml-parser gave it as a string or as an object with attributes. */
function text(node: unknown): string | undefined {
  if (typeof node === 'string') return node.trim() === '' ? undefined : node.trim();
  const value = child(node, '#text');
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function attribute(node: unknown, name: string): string | undefined {
  const value = child(node, `@${name}`);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** `id` attribute or text content of the first element named `element` anywhere under `<metadata>`. */
function metadataId(metadata: unknown, element: string): string | undefined {
  if (typeof metadata !== 'object' || metadata === null) return undefined;
  for (const [key, value] of Object.entries(metadata as Node)) {
    const nodes: unknown[] = Array.isArray(value) ? value : [value];
    for (const node of nodes) {
      if (key === element) {
        const found = attribute(node, 'id') ?? text(node);
        if (found !== undefined) return found;
      }
      if (!key.startsWith('@')) {
        const nested = metadataId(node, element);
        if (nested !== undefined) return nested;
      }
    }
  }
  return undefined;
}

/**
 * Reads a libvirt domain XML: the status form libvirt keeps for running domains (`<domstatus><domain id=…>`, under
 * /run/libvirt/qemu) or a plain `<domain>` (`virsh dumpxml`). Interface ids are `eth<n>` by the order of the
 * domain's `<interface>` elements, counted over all of them so that one without a target does not shift the rest.
 * Throws on XML that is not a domain.
 *
 * @example
 * parseDomainXml(`<domain id='3'><name>vm1</name><uuid>…</uuid><devices><interface type='bridge'>
 *   <target dev='vnet0'/></interface></devices></domain>`, { from: 'uuid' });
 * // { name: 'vm1', domainId: '3', instanceId: '…', nics: [{ device: 'vnet0', interfaceId: 'eth0' }], … }
 */
export function parseDomainXml(xml: string, source: InstanceIdSource): LibvirtDomain {
  const document = parser.parse(xml) as unknown;
  const domain = child(document, 'domain') ?? child(child(document, 'domstatus'), 'domain');
  if (typeof domain !== 'object' || domain === null) throw new Error('not a libvirt domain: no <domain> element');
  const name = text(child(domain, 'name'));
  const uuid = text(child(domain, 'uuid'));
  if (name === undefined || uuid === undefined) throw new Error('libvirt domain without <name> or <uuid>');
  const fromMetadata = source.from === 'metadata' ? metadataId(child(domain, 'metadata'), source.element) : undefined;
  const interfaces = child(child(domain, 'devices'), 'interface');
  const nics = (Array.isArray(interfaces) ? interfaces : []).flatMap((nic: unknown, index) => {
    const device = attribute(child(nic, 'target'), 'dev');
    return device === undefined ? [] : [{ device, interfaceId: `eth${index}` }];
  });
  return {
    name,
    uuid,
    domainId: attribute(domain, 'id'),
    instanceId: fromMetadata ?? uuid,
    instanceIdFallback: source.from === 'metadata' && fromMetadata === undefined,
    nics,
    partition: text(child(child(domain, 'resource'), 'partition')),
  };
}
