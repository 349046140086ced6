export {
  type Period,
  type InstanceProfile,
  type InstanceType,
  type SimInstance,
  type Fleet,
  type FleetOptions,
  INSTANCE_TYPES,
  ZONES,
  createFleet,
  isRunning,
} from './fleet.ts';
export { windowSample } from './traffic-model.ts';
export { generateSamples } from './generate-samples.ts';
export { type HourTotals, type GroundTruth, groundTruth } from './ground-truth.ts';
export { type GroundTruthFile, writeGroundTruth } from './ground-truth-file.ts';
export { prefixFleet } from './prefix-fleet.ts';
export { type StreamFaults, simulatedStream } from './simulated-stream.ts';
export { type SendSamples, type SampleSenderOptions, SampleSender } from './sample-sender.ts';
export { InjectedOutage } from './injected-outage.ts';
export { type DuplicateOptions, injectDuplicates } from './inject-duplicates.ts';
export { type ReorderOptions, injectReordering } from './inject-reordering.ts';
export { type LateArrivalOptions, injectLateArrivals } from './inject-late-arrivals.ts';
export { type OutageOptions, injectOutage } from './inject-outage.ts';
export { Draw, drawFor, mixSeed, perMillion } from './seeded-random.ts';
export { type CounterWidth, type DeltaKind, type CounterDelta, counterDelta } from './counter-delta.ts';
export {
  type DeviceMappingFile,
  type DeviceEntry,
  type DeviceMapping,
  deviceMappingFile,
  parseDeviceMapping,
  loadDeviceMapping,
} from './device-mapping.ts';
export {
  type InterfaceCounters,
  type CounterReading,
  type ReaderPaths,
  readInterfaceCounters,
  readCpuUsageMicros,
  readCounters,
} from './sysfs-reader.ts';
export {
  type WindowOptions,
  type CounterAnomaly,
  type WindowResult,
  type TrackerStep,
  DEFAULT_WINDOW_OPTIONS,
  samplesBetween,
  advanceCounters,
} from './counter-windows.ts';
export { type SpoolLimits, type SpoolStats, SpoolFullError, Spool } from './spool.ts';
export { type InstanceIdSource, type LibvirtDomain, parseDomainXml } from './host/libvirt-domain.ts';
export { DEFAULT_CGROUP_PATTERN, cgroupPathFor, partitionSlices, systemdEscape } from './host/cgroup-path.ts';
export { type Discovery, discoverDomains } from './host/discover-domains.ts';
export { type HostMapping, type MappingProblem, hostMapping } from './host/host-mapping.ts';
export {
  type HostWindowState,
  type HostWindowStep,
  INITIAL_HOST_WINDOW,
  hostWindowStep,
  nextReadingAt,
} from './host/host-window.ts';
export { type HostConfig, hostConfigFile, loadHostConfig } from './host/host-config.ts';
export { domainStatusXml, type TestDomain } from './host/testing/domain-xml.ts';
export {
  type Persona,
  type Scenario,
  type ScenarioAccount,
  type ScenarioInstance,
  type ScenarioMoments,
  type ScenarioOptions,
  SCENARIO_FREE_CREDIT,
  SCENARIO_PRICES_CENTS,
  scenario,
} from './simulate/scenarios.ts';
export { scenarioSamples } from './simulate/scenario-samples.ts';
export { type DripRules, DEFAULT_DRIP_RULES, expectedDripMails } from './simulate/expected-drip-mails.ts';
