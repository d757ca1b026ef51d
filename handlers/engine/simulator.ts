// Labeled sample data: deterministic Panther-shaped CloudTrail and Okta traffic with named attacks injected.
import { eventTimeReader, entityReader } from './aggregate';
import { isoWindowStart } from './fields';
import { mulberry32 } from './random';
import { DEFAULT_SPECS } from './spec';
import type { FeatureRow, FeatureSpec, PantherEvent } from './types';

export const SCENARIOS = [
  'credential_theft',
  'iam_privilege_escalation',
  's3_mass_download',
  'logging_tampering',
  'secrets_harvesting',
  'console_brute_force',
  'okta_password_spray',
  'mfa_fatigue',
  'impossible_travel',
] as const;

export type ScenarioName = (typeof SCENARIOS)[number];

/** One (entity, window) an attack touched. */
export interface WindowLabel {
  logType: string;
  entity: string;
  windowStart: string;
  scenario: string;
}

/** One injected attack, for reports and debugging: who, when, how loud. */
export interface AttackRecord {
  scenario: ScenarioName;
  victim: string;
  start: string;
  events: number;
  /** Low-intensity attacks are a handful of calls; only a model that weighs several features finds them. */
  intensity: 'low' | 'high';
}

export interface SimulateOptions {
  days: number;
  principals: number;
  seed: number;
  /** First simulated day (UTC midnight is used); default 2026-01-05, a Monday. */
  start?: Date;
  /**
   * Scenarios to inject; default all. An empty list gives clean traffic. A scenario with no fitting victim (a
   * console brute force needs an IAM user, which takes at least two people) is left out; `attacks` lists the rest.
   */
  scenarios?: readonly ScenarioName[];
  /** Attacks of each scenario per principal-day; default 0.004 (30 days x 50 principals: 6 of each). */
  attackRate?: number;
  /** Specs whose entity and window define the labels; default DEFAULT_SPECS. */
  specs?: readonly FeatureSpec[];
}

export interface Simulation {
  /** Sorted by event time. Events of one principal and day share their read-only identity objects. */
  events: PantherEvent[];
  labels: WindowLabel[];
  attacks: AttackRecord[];
}

// ---------------------------------------------------------------------------------------------------------------
// Seeded randomness (mulberry32 from ./random) and cheap random identifiers

const HEX_CODES = Array.from('0123456789abcdef', (ch) => ch.charCodeAt(0));
const codeBuffers = new Map<number, number[]>();

/** A reusable array of n char codes: String.fromCharCode over it yields one flat string. */
function codeBuffer(n: number): number[] {
  let b = codeBuffers.get(n);
  if (!b) {
    b = new Array<number>(n).fill(48);
    codeBuffers.set(n, b);
  }
  return b;
}

class Dice {
  constructor(readonly next: () => number) {}
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  /** Poisson by inversion for small means, normal approximation above 30. */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * this.normal()));
    const l = Math.exp(-mean);
    let k = 0;
    let p = this.next();
    while (p > l) {
      k++;
      p *= this.next();
    }
    return k;
  }
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
  /** n random hex digits, as one flat string (concatenated pieces would cost several times the memory). */
  hex(n: number): string {
    const codes = codeBuffer(n);
    for (let i = 0; i < n; i += 8) {
      let x = this.u32();
      for (let j = i; j < i + 8 && j < n; j++) {
        codes[j] = HEX_CODES[x & 15];
        x >>>= 4;
      }
    }
    return String.fromCharCode.apply(null, codes);
  }
  /** n characters of AWS's key-ID alphabet (upper case and 2-7). */
  upper(n: number): string {
    const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
    let s = '';
    for (let i = 0; i < n; i++) s += abc[this.int(32)];
    return s;
  }
  /** A version-4-shaped UUID. */
  uuid(): string {
    const codes = codeBuffer(36);
    for (let i = 0; i < 36; i += 8) {
      let x = this.u32();
      for (let j = i; j < i + 8 && j < 36; j++) {
        codes[j] = HEX_CODES[x & 15];
        x >>>= 4;
      }
    }
    codes[8] = codes[13] = codes[18] = codes[23] = 45;
    codes[14] = 52; // '4'
    codes[19] = 97; // 'a'
    return String.fromCharCode.apply(null, codes);
  }
  u32(): number {
    return (this.next() * 4294967296) >>> 0;
  }
}

/** Cumulative-weight table for fast weighted picks from a catalog. */
class Weighted<T> {
  private readonly cum: number[] = [];
  private readonly items: T[] = [];
  private total = 0;
  constructor(entries: readonly (readonly [T, number])[]) {
    for (const [item, w] of entries) {
      this.total += w;
      this.cum.push(this.total);
      this.items.push(item);
    }
  }
  pick(dice: Dice): T {
    const r = dice.next() * this.total;
    let lo = 0;
    let hi = this.cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cum[mid] > r) hi = mid;
      else lo = mid + 1;
    }
    return this.items[lo];
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Time formats

const HOUR = 3600000;
const DAY = 24 * HOUR;

/**
 * Formats epoch ms in Panther's and the sources' spellings, as flat strings built from char codes: there are
 * three timestamps per event, and template-literal pieces would be kept as separate string nodes.
 */
class Clock {
  private day = NaN;
  private readonly date = new Array<number>(10).fill(48);

  private fill(codes: number[], ms: number, sep: number, withMillis: boolean): void {
    const d = Math.floor(ms / DAY);
    if (d !== this.day) {
      this.day = d;
      const iso = new Date(d * DAY).toISOString();
      for (let i = 0; i < 10; i++) this.date[i] = iso.charCodeAt(i);
    }
    for (let i = 0; i < 10; i++) codes[i] = this.date[i];
    const rest = ms - d * DAY;
    const h = Math.floor(rest / HOUR);
    const m = Math.floor((rest % HOUR) / 60000);
    const s = Math.floor((rest % 60000) / 1000);
    const milli = rest % 1000;
    codes[10] = sep;
    codes[11] = 48 + Math.floor(h / 10);
    codes[12] = 48 + (h % 10);
    codes[13] = 58;
    codes[14] = 48 + Math.floor(m / 10);
    codes[15] = 48 + (m % 10);
    codes[16] = 58;
    codes[17] = 48 + Math.floor(s / 10);
    codes[18] = 48 + (s % 10);
    if (withMillis) {
      codes[19] = 46;
      codes[20] = 48 + Math.floor(milli / 100);
      codes[21] = 48 + (Math.floor(milli / 10) % 10);
      codes[22] = 48 + (milli % 10);
    }
  }
  /** `2026-01-05 13:04:05.123`, as p_event_time comes from Panther. */
  panther(ms: number): string {
    const codes = codeBuffer(23);
    this.fill(codes, ms, 32, true);
    return String.fromCharCode.apply(null, codes);
  }
  /** `2026-01-05T13:04:05Z`, CloudTrail's eventTime. */
  isoSeconds(ms: number): string {
    const codes = codeBuffer(20);
    this.fill(codes, ms, 84, false);
    codes[19] = 90;
    return String.fromCharCode.apply(null, codes);
  }
  /** `2026-01-05T13:04:05.123Z`, Okta's published. */
  isoMillis(ms: number): string {
    const codes = codeBuffer(24);
    this.fill(codes, ms, 84, true);
    codes[23] = 90;
    return String.fromCharCode.apply(null, codes);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The world: places, principals, what they call

interface Place {
  code: string;
  country: string;
  city: string;
  state: string;
  lat: number;
  lon: number;
  octets: number[];
  isp: string;
  asn: number;
}

const PLACES: Record<string, Place> = {
  US: { code: 'US', country: 'United States', city: 'Seattle', state: 'Washington', lat: 47.6, lon: -122.3, octets: [73, 98, 24, 71, 108], isp: 'Comcast Cable', asn: 7922 },
  US2: { code: 'US', country: 'United States', city: 'New York', state: 'New York', lat: 40.7, lon: -74.0, octets: [68, 72, 100], isp: 'Verizon Fios', asn: 701 },
  GB: { code: 'GB', country: 'United Kingdom', city: 'London', state: 'England', lat: 51.5, lon: -0.1, octets: [81, 86, 90], isp: 'British Telecommunications', asn: 2856 },
  DE: { code: 'DE', country: 'Germany', city: 'Berlin', state: 'Land Berlin', lat: 52.5, lon: 13.4, octets: [79, 84, 91], isp: 'Deutsche Telekom AG', asn: 3320 },
  IN: { code: 'IN', country: 'India', city: 'Bengaluru', state: 'Karnataka', lat: 12.97, lon: 77.59, octets: [49, 117, 182], isp: 'Bharti Airtel', asn: 9498 },
  FR: { code: 'FR', country: 'France', city: 'Paris', state: 'Ile-de-France', lat: 48.86, lon: 2.35, octets: [82, 92], isp: 'Orange', asn: 3215 },
  JP: { code: 'JP', country: 'Japan', city: 'Tokyo', state: 'Tokyo', lat: 35.68, lon: 139.69, octets: [126, 153], isp: 'NTT', asn: 4713 },
  MX: { code: 'MX', country: 'Mexico', city: 'Mexico City', state: 'CDMX', lat: 19.43, lon: -99.13, octets: [187, 189], isp: 'Telmex', asn: 8151 },
  ES: { code: 'ES', country: 'Spain', city: 'Madrid', state: 'Madrid', lat: 40.42, lon: -3.7, octets: [83, 88], isp: 'Telefonica', asn: 3352 },
  NL: { code: 'NL', country: 'Netherlands', city: 'Amsterdam', state: 'North Holland', lat: 52.37, lon: 4.9, octets: [185, 193], isp: 'Hosting Solutions BV', asn: 206264 },
  RU: { code: 'RU', country: 'Russia', city: 'Moscow', state: 'Moscow', lat: 55.75, lon: 37.62, octets: [5, 95], isp: 'Selectel', asn: 49505 },
  BR: { code: 'BR', country: 'Brazil', city: 'Sao Paulo', state: 'Sao Paulo', lat: -23.55, lon: -46.63, octets: [177, 201], isp: 'Vivo', asn: 26599 },
  VN: { code: 'VN', country: 'Vietnam', city: 'Hanoi', state: 'Hanoi', lat: 21.03, lon: 105.85, octets: [14, 113], isp: 'Viettel', asn: 7552 },
  SG: { code: 'SG', country: 'Singapore', city: 'Singapore', state: 'Singapore', lat: 1.35, lon: 103.82, octets: [159, 128], isp: 'DigitalOcean', asn: 14061 },
  RO: { code: 'RO', country: 'Romania', city: 'Bucharest', state: 'Bucharest', lat: 44.43, lon: 26.1, octets: [45, 89], isp: 'M247 Europe', asn: 9009 },
};

const HOMES: readonly [string, number][] = [['US', 5], ['US2', 3], ['GB', 2], ['DE', 1], ['IN', 2]];
const TRAVEL = ['FR', 'JP', 'MX', 'ES', 'GB', 'DE'];
const ATTACKER_PLACES = ['NL', 'RU', 'BR', 'VN', 'SG', 'RO'];
const TZ: Record<string, number> = { US: -8, US2: -5, GB: 0, DE: 1, IN: 5 };

function ipIn(place: Place, dice: Dice): string {
  return `${dice.pick(place.octets)}.${dice.range(1, 254)}.${dice.range(0, 255)}.${dice.range(1, 254)}`;
}

type Role = 'developer' | 'admin' | 'sre' | 'analyst' | 'ci' | 'service';
/** Cycled over principal indices so every small simulation still has each kind. */
const ROLE_CYCLE: Role[] = ['developer', 'service', 'developer', 'admin', 'ci', 'analyst', 'sre', 'developer', 'service', 'developer', 'analyst', 'ci', 'developer', 'sre', 'service', 'developer', 'admin', 'developer', 'analyst', 'developer'];

/** A CloudTrail call: service endpoint, event name, read-only, data event. */
type Call = readonly [string, string, boolean, boolean?];

const c = (source: string, name: string, readOnly: boolean, data = false): Call => [`${source}.amazonaws.com`, name, readOnly, data];

const CATALOG: Record<Role, readonly (readonly [Call, number])[]> = {
  developer: [
    [c('ec2', 'DescribeInstances', true), 8], [c('ec2', 'DescribeSecurityGroups', true), 3], [c('s3', 'ListBuckets', true), 3],
    [c('s3', 'GetObject', true, true), 6], [c('s3', 'PutObject', false, true), 2], [c('lambda', 'ListFunctions20150331', true), 3],
    [c('lambda', 'GetFunction20150331v2', true), 2], [c('lambda', 'UpdateFunctionCode20150331v2', false), 1],
    [c('logs', 'FilterLogEvents', true), 6], [c('logs', 'DescribeLogGroups', true), 3], [c('cloudformation', 'DescribeStacks', true), 4],
    [c('cloudformation', 'DescribeStackEvents', true), 2], [c('sts', 'GetCallerIdentity', true), 2], [c('dynamodb', 'DescribeTable', true), 2],
    [c('ecr', 'DescribeRepositories', true), 1], [c('kms', 'Decrypt', true), 1], [c('secretsmanager', 'GetSecretValue', true), 0.25],
    [c('ssm', 'GetParameter', true), 0.4], [c('monitoring', 'GetMetricData', true), 3], [c('iam', 'GetRole', true), 0.8],
  ],
  admin: [
    [c('iam', 'ListUsers', true), 3], [c('iam', 'ListRoles', true), 3], [c('iam', 'GetRole', true), 3], [c('iam', 'ListAttachedRolePolicies', true), 3],
    [c('iam', 'GetPolicyVersion', true), 2], [c('iam', 'CreateRole', false), 0.25], [c('iam', 'AttachRolePolicy', false), 0.3],
    [c('iam', 'PutRolePolicy', false), 0.2], [c('organizations', 'ListAccounts', true), 2], [c('cloudtrail', 'DescribeTrails', true), 1],
    [c('cloudtrail', 'GetTrailStatus', true), 1], [c('guardduty', 'ListDetectors', true), 1], [c('guardduty', 'ListFindings', true), 2],
    [c('securityhub', 'GetFindings', true), 2], [c('ec2', 'DescribeInstances', true), 4], [c('s3', 'ListBuckets', true), 2],
    [c('s3', 'GetBucketPolicy', true), 1], [c('config', 'DescribeConfigRules', true), 1], [c('sts', 'GetCallerIdentity', true), 1],
    [c('cloudtrail', 'PutEventSelectors', false), 0.02], [c('kms', 'ListKeys', true), 1],
  ],
  sre: [
    [c('ec2', 'DescribeInstances', true), 8], [c('ec2', 'RebootInstances', false), 0.3], [c('autoscaling', 'DescribeAutoScalingGroups', true), 3],
    [c('autoscaling', 'SetDesiredCapacity', false), 0.4], [c('ecs', 'DescribeServices', true), 4], [c('ecs', 'UpdateService', false), 0.5],
    [c('logs', 'FilterLogEvents', true), 8], [c('logs', 'StartQuery', true), 3], [c('monitoring', 'GetMetricData', true), 6],
    [c('monitoring', 'DescribeAlarms', true), 3], [c('elasticloadbalancing', 'DescribeTargetHealth', true), 3], [c('rds', 'DescribeDBInstances', true), 2],
    [c('s3', 'GetObject', true, true), 2], [c('ssm', 'GetParameter', true), 0.5], [c('ssm', 'StartSession', false), 0.4],
    [c('sts', 'GetCallerIdentity', true), 1], [c('kms', 'Decrypt', true), 0.5],
  ],
  analyst: [
    [c('athena', 'StartQueryExecution', false), 4], [c('athena', 'GetQueryExecution', true), 6], [c('athena', 'GetQueryResults', true), 4],
    [c('glue', 'GetTables', true), 2], [c('glue', 'GetDatabases', true), 1], [c('s3', 'GetObject', true, true), 3], [c('s3', 'ListObjects', true, true), 1],
    [c('quicksight', 'DescribeDashboard', true), 1],
  ],
  ci: [
    [c('sts', 'GetCallerIdentity', true), 2], [c('ecr', 'GetAuthorizationToken', true), 2], [c('ecr', 'InitiateLayerUpload', false), 2],
    [c('ecr', 'UploadLayerPart', false), 3], [c('ecr', 'CompleteLayerUpload', false), 2], [c('ecr', 'PutImage', false), 1],
    [c('s3', 'PutObject', false, true), 3], [c('s3', 'GetObject', true, true), 2], [c('cloudformation', 'CreateChangeSet', false), 1],
    [c('cloudformation', 'DescribeChangeSet', true), 2], [c('cloudformation', 'ExecuteChangeSet', false), 1], [c('cloudformation', 'DescribeStacks', true), 3],
    [c('lambda', 'UpdateFunctionCode20150331v2', false), 1], [c('iam', 'GetRole', true), 1],
  ],
  service: [
    [c('kms', 'Decrypt', true), 3], [c('kms', 'GenerateDataKey', true), 1], [c('s3', 'GetObject', true, true), 5], [c('s3', 'PutObject', false, true), 3],
    [c('secretsmanager', 'GetSecretValue', true), 0.4], [c('ssm', 'GetParameter', true), 0.4], [c('sts', 'GetCallerIdentity', true), 0.2],
  ],
};

/** CloudTrail events per active hour by role, before the daily rhythm. */
const RATE: Record<Role, number> = { developer: 14, admin: 10, sre: 14, analyst: 5, ci: 0, service: 6 };

const HUMAN_UAS = [
  'aws-cli/2.15.30 Python/3.11.8 Darwin/23.3.0 exe/x86_64 prompt/off command/ec2.describe-instances',
  'aws-cli/2.17.2 Python/3.11.9 Linux/6.8.0-45-generic exe/x86_64.ubuntu.24 prompt/off',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Boto3/1.34.34 md/Botocore#1.34.34 ua/2.0 os/macos#23.3.0 md/arch#arm64 lang/python#3.12.1',
  'aws-internal/3 aws-sdk-java/1.12.720 Linux/5.10 OpenJDK_64-Bit_Server_VM/25.402-b08 java/1.8.0_402 vendor/Oracle_Corporation cfg/retry-mode/standard',
  'terraform/1.11.2 (+https://www.terraform.io) terraform-provider-aws/5.100.0 aws-sdk-go-v2/1.36.3',
];
const BROWSER_UAS = [
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.2; rv:133.0) Gecko/20100101 Firefox/133.0',
];
const ATTACKER_UAS = [
  'aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0-kali3-amd64 exe/x86_64.kali.2023 prompt/off',
  'Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#6.1.0 md/arch#x86_64 lang/python#3.11.2',
  'python-requests/2.31.0',
  'aws-sdk-go/1.50.0 (go1.21.6; linux; amd64)',
];
const BULK_COPY_UAS = ['rclone/v1.66.0', 's5cmd/v2.2.2', 'aws-cli/2.15.30 Python/3.11.8 Windows/10 exe/AMD64 prompt/off command/s3.sync'];
const SERVICE_UA = 'aws-sdk-js/3.600.0 ua/2.0 os/linux#5.10.219 lang/js md/nodejs#20.15.1 exec-env/AWS_Lambda_nodejs20.x';
const CI_UA = 'aws-cli/2.17.20 Python/3.11.9 Linux/6.5.0-1025-azure exe/x86_64.ubuntu.22 prompt/off command/cloudformation.deploy';

const FIRST = ['alice', 'bob', 'carol', 'dmitri', 'erin', 'farah', 'gus', 'hana', 'ivan', 'jun', 'kemal', 'lena', 'maria', 'nils', 'oscar', 'priya', 'quinn', 'rosa', 'sven', 'tara', 'umar', 'vera', 'wei', 'xena', 'yusuf', 'zoe'];
const LAST = ['nguyen', 'smith', 'garcia', 'mueller', 'patel', 'kim', 'okafor', 'rossi', 'silva', 'tanaka', 'cohen', 'larsen'];
const SERVICES = ['orders-api', 'billing-worker', 'ingest-pipeline', 'reports-cron', 'auth-service', 'search-indexer', 'notifications', 'image-resizer'];
const PIPELINES = ['github-actions-deploy', 'github-actions-infra', 'buildkite-release', 'github-actions-data'];
const OKTA_APPS = ['AWS IAM Identity Center', 'Slack', 'GitHub Enterprise', 'Google Workspace', 'Jira', 'PagerDuty', 'Datadog', 'Zoom'];

const ACCOUNT = '111122223333';
const PERMISSION_SETS: Partial<Record<Role, string>> = { developer: 'DeveloperAccess', admin: 'AdministratorAccess', sre: 'PowerUserAccess', analyst: 'DataAnalystAccess' };
const DOMAIN = 'example.com';

interface Principal {
  index: number;
  role: Role;
  human: boolean;
  name: string;
  email: string;
  /** Legacy IAM user with a console password (the rest sign in through IAM Identity Center). */
  iamUser: boolean;
  arn: string;
  roleArn: string;
  home: Place;
  homeKey: string;
  tz: number;
  officeIp: string;
  homeIp: string;
  region: string;
  uas: string[];
  browserUa: string;
  oktaId: string;
  roleId: string;
  userId: string;
  /** Pools of source IPs for CI runners and Lambda. */
  ipPool: string[];
  catalog: Weighted<Call>;
  /** Days on a trip: index -> travel place. */
  travel: Map<number, Place>;
  /** SREs take the on-call week in turn: week index modulo `rotation` equals `onCallWeek`. */
  onCallWeek: number;
  rotation: number;
}

function makePrincipals(n: number, dice: Dice, days: number, offices: Map<string, string>): Principal[] {
  const out: Principal[] = [];
  const humanNames = new Set<string>();
  let humans = 0;
  const sreCount = Math.max(1, Math.ceil(n * 0.1));
  let sreSeen = 0;
  for (let i = 0; i < n; i++) {
    const role = ROLE_CYCLE[i % ROLE_CYCLE.length];
    const human = role !== 'ci' && role !== 'service';
    const homeKey = human ? new Weighted(HOMES).pick(dice) : 'US';
    const home = PLACES[homeKey];
    let name: string;
    if (human) {
      do name = `${dice.pick(FIRST)}.${dice.pick(LAST)}`;
      while (humanNames.has(name));
      humanNames.add(name);
    } else if (role === 'service') {
      name = `${SERVICES[i % SERVICES.length]}${i >= SERVICES.length * 2 ? `-${i}` : ''}`;
    } else {
      name = `${PIPELINES[i % PIPELINES.length]}${i >= PIPELINES.length * 5 ? `-${i}` : ''}`;
    }
    const iamUser = human && humans++ % 4 === 1;
    const permissionSet = PERMISSION_SETS[role] ?? '';
    const ssoRole = `AWSReservedSSO_${permissionSet}_${dice.hex(16)}`;
    const email = `${name}@${DOMAIN}`;
    let arn: string;
    let roleArn: string;
    if (iamUser) {
      arn = `arn:aws:iam::${ACCOUNT}:user/${name}`;
      roleArn = '';
    } else if (human) {
      arn = `arn:aws:sts::${ACCOUNT}:assumed-role/${ssoRole}/${email}`;
      roleArn = `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/${ssoRole}`;
    } else {
      const r = role === 'service' ? `${name}-role` : name;
      const session = role === 'service' ? name : 'GitHubActions';
      arn = `arn:aws:sts::${ACCOUNT}:assumed-role/${r}/${session}`;
      roleArn = `arn:aws:iam::${ACCOUNT}:role/${r}`;
    }
    if (!offices.has(homeKey)) offices.set(homeKey, ipIn(home, dice));
    const travel = new Map<number, Place>();
    if (human && days >= 7 && dice.chance(0.3)) {
      const place = PLACES[dice.pick(TRAVEL.filter((t) => t !== home.code))];
      const from = dice.int(Math.max(1, days - 4));
      for (let d = from; d < from + dice.range(2, 5) && d < days; d++) travel.set(d, place);
    }
    const ipPool: string[] = [];
    if (role === 'ci') for (let k = 0; k < 24; k++) ipPool.push(`${dice.pick([20, 40, 52, 172])}.${dice.range(1, 254)}.${dice.range(0, 255)}.${dice.range(1, 254)}`);
    if (role === 'service') for (let k = 0; k < 4; k++) ipPool.push(`${dice.pick([3, 18, 34, 54])}.${dice.range(1, 254)}.${dice.range(0, 255)}.${dice.range(1, 254)}`);
    out.push({
      index: i,
      role,
      human,
      name,
      email,
      iamUser,
      arn,
      roleArn,
      home,
      homeKey,
      tz: TZ[homeKey] ?? 0,
      officeIp: offices.get(homeKey)!,
      homeIp: ipIn(home, dice),
      region: dice.chance(0.8) ? 'us-east-1' : 'us-west-2',
      uas: [dice.pick(HUMAN_UAS), dice.pick(HUMAN_UAS)],
      browserUa: dice.pick(BROWSER_UAS),
      oktaId: `00u${dice.hex(17)}`,
      roleId: `AROA${dice.upper(17)}`,
      userId: `AIDA${dice.upper(17)}`,
      ipPool,
      catalog: new Weighted(CATALOG[role]),
      travel,
      onCallWeek: role === 'sre' ? sreSeen++ % sreCount : -1,
      rotation: sreCount,
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Event builders

interface Stamp {
  t: number;
  e: PantherEvent;
  scenario?: ScenarioName;
}

/** Per (principal, day): identity objects shared by that day's events, as one session's would be. */
interface Session {
  identity: Record<string, unknown>;
  arns: string[];
  accessKeyId: string;
}

class World {
  readonly clock = new Clock();
  readonly out: Stamp[] = [];
  private readonly ctSource: string;
  private readonly oktaSource: string;
  private readonly accounts = [ACCOUNT];
  constructor(readonly dice: Dice) {
    this.ctSource = dice.uuid();
    this.oktaSource = dice.uuid();
  }

  session(p: Principal, dayStart: number): Session {
    const d = this.dice;
    if (p.iamUser) {
      const accessKeyId = `AKIA${d.upper(16)}`;
      return {
        accessKeyId,
        arns: [p.arn],
        identity: { type: 'IAMUser', principalId: p.userId, arn: p.arn, accountId: ACCOUNT, accessKeyId, userName: p.name },
      };
    }
    const accessKeyId = `ASIA${d.upper(16)}`;
    const session = p.arn.slice(p.arn.lastIndexOf('/') + 1);
    return {
      accessKeyId,
      arns: [p.arn, p.roleArn],
      identity: {
        type: 'AssumedRole',
        principalId: `${p.roleId}:${session}`,
        arn: p.arn,
        accountId: ACCOUNT,
        accessKeyId,
        sessionContext: {
          sessionIssuer: { type: 'Role', principalId: p.roleId, arn: p.roleArn, accountId: ACCOUNT, userName: p.roleArn.slice(p.roleArn.lastIndexOf('/') + 1) },
          attributes: { creationDate: this.clock.isoSeconds(dayStart + 6 * HOUR), mfaAuthenticated: p.human ? 'true' : 'false' },
        },
      },
    };
  }

  private base(t: number, logType: string, source: string, ip: string | undefined): PantherEvent {
    const isIp = ip !== undefined && ip.charCodeAt(0) >= 48 && ip.charCodeAt(0) <= 57;
    return {
      p_log_type: logType,
      p_row_id: this.dice.hex(30),
      p_event_time: this.clock.panther(t),
      p_parse_time: this.clock.panther(t + 120000 + this.dice.int(180000)),
      p_source_id: source,
      p_source_label: logType === 'AWS.CloudTrail' ? 'org-cloudtrail' : 'okta-prod',
      p_any_ip_addresses: isIp ? [ip] : [],
    };
  }

  cloudTrail(
    t: number,
    s: Session,
    call: Call,
    opts: { ip: string; ua: string; region: string; error?: [string, string]; errorMessage?: string; request?: Record<string, unknown> | null; response?: Record<string, unknown> | null; scenario?: ScenarioName; usernames?: string[] },
  ): void {
    const [source, name, readOnly, data] = call;
    const ip = opts.ip;
    const d = this.dice;
    // One object literal per event: a fixed shape is cheaper to build and to hold than fields added one by one.
    const e: PantherEvent = {
      p_log_type: 'AWS.CloudTrail',
      p_row_id: d.hex(30),
      p_event_time: this.clock.panther(t),
      p_parse_time: this.clock.panther(t + 120000 + d.int(180000)),
      p_source_id: this.ctSource,
      p_source_label: 'org-cloudtrail',
      p_any_ip_addresses: ip.charCodeAt(0) <= 57 ? [ip] : [],
      p_any_aws_arns: s.arns,
      p_any_aws_account_ids: this.accounts,
      p_any_usernames: opts.usernames,
      eventVersion: '1.09',
      userIdentity: s.identity,
      eventTime: this.clock.isoSeconds(t),
      eventSource: source,
      eventName: name,
      // IAM, sign-in and Organizations events are recorded in us-east-1 whatever region the caller works in.
      awsRegion: source === 'iam.amazonaws.com' || source === 'signin.amazonaws.com' || source === 'organizations.amazonaws.com' ? 'us-east-1' : opts.region,
      sourceIPAddress: ip,
      userAgent: opts.ua,
      // A failed console sign-in has an errorMessage and no errorCode.
      errorCode: opts.error?.[0],
      errorMessage: opts.error ? opts.error[1] : opts.errorMessage,
      requestParameters: opts.request ?? null,
      responseElements: opts.response ?? null,
      requestID: d.uuid(),
      eventID: d.uuid(),
      readOnly,
      eventType: source === 'signin.amazonaws.com' ? 'AwsConsoleSignIn' : 'AwsApiCall',
      managementEvent: !data,
      recipientAccountId: ACCOUNT,
      eventCategory: data ? 'Data' : 'Management',
    };
    this.out.push({ t, e, scenario: opts.scenario });
  }

  okta(
    t: number,
    p: Principal,
    eventType: string,
    opts: { ip: string; place: Place; ua: string; result?: string; reason?: string | null; app?: string; scenario?: ScenarioName; session: string },
  ): void {
    const e = this.base(t, 'Okta.SystemLog', this.oktaSource, opts.ip);
    e.p_any_emails = [p.email];
    e.p_any_usernames = [p.email];
    e.uuid = this.dice.uuid();
    e.published = this.clock.isoMillis(t);
    e.eventType = eventType;
    e.version = '0';
    const result = opts.result ?? 'SUCCESS';
    e.severity = result === 'SUCCESS' ? 'INFO' : 'WARN';
    e.displayMessage = OKTA_MESSAGES[eventType] ?? eventType;
    e.actor = { id: p.oktaId, type: 'User', alternateId: p.email, displayName: p.name.replace('.', ' ') };
    e.client = {
      userAgent: { rawUserAgent: opts.ua, os: opts.ua.includes('Windows') ? 'Windows 10' : opts.ua.includes('Mac') ? 'Mac OS X' : 'Unknown', browser: opts.ua.includes('Chrome') ? 'CHROME' : opts.ua.includes('Firefox') ? 'FIREFOX' : 'UNKNOWN' },
      zone: 'null',
      device: 'Computer',
      ipAddress: opts.ip,
      geographicalContext: { city: opts.place.city, state: opts.place.state, country: opts.place.country, postalCode: null, geolocation: { lat: opts.place.lat, lon: opts.place.lon } },
    };
    e.outcome = { result, reason: opts.reason ?? null };
    e.transaction = { type: 'WEB', id: this.dice.hex(20) };
    e.authenticationContext = { authenticationStep: 0, externalSessionId: opts.session };
    e.securityContext = { asNumber: opts.place.asn, asOrg: opts.place.isp, isp: opts.place.isp, domain: null, isProxy: false };
    e.target = opts.app ? [{ id: `0oa${this.dice.hex(17)}`, type: 'AppInstance', alternateId: opts.app, displayName: opts.app }] : [];
    this.out.push({ t, e, scenario: opts.scenario });
  }
}

const OKTA_MESSAGES: Record<string, string> = {
  'user.session.start': 'User login to Okta',
  'user.session.end': 'User logout from Okta',
  'user.authentication.auth_via_mfa': 'Authentication of user via MFA',
  'user.authentication.sso': 'User single sign on to app',
  'system.push.send_factor_verify_push': 'A push was sent to a user for verification',
  'user.mfa.okta_verify.deny_push': 'User rejected Okta push verify',
  'user.account.update_password': 'User update password for Okta',
  'user.lifecycle.create': 'Create Okta user',
  'group.user_membership.add': 'Add user to group membership',
};

const ERRORS: readonly [string, string][] = [
  ['AccessDenied', 'User is not authorized to perform this operation'],
  ['ThrottlingException', 'Rate exceeded'],
  ['ResourceNotFoundException', 'Requested resource not found'],
  ['ValidationException', 'Invalid request parameters'],
];

// ---------------------------------------------------------------------------------------------------------------
// Benign traffic

/** Share of a human's hourly rate at a local hour on a working day. */
function workRhythm(localHour: number): number {
  if (localHour >= 9 && localHour <= 17) return localHour === 12 ? 0.6 : 1;
  if (localHour === 8 || localHour === 18) return 0.4;
  if (localHour >= 19 && localHour <= 22) return 0.08;
  return 0.005;
}

function isWeekend(dayMs: number, p: Principal): boolean {
  // Local weekday at local noon.
  const wd = new Date(dayMs + (12 - p.tz) * HOUR).getUTCDay();
  return wd === 0 || wd === 6;
}

function s3Request(dice: Dice, p: Principal): Record<string, unknown> {
  return { bucketName: `${p.role === 'service' ? p.name : 'team'}-data-${ACCOUNT}`, key: `data/${dice.hex(8)}.parquet` };
}

/** One local day of a person: CloudTrail work in their rhythm, the sign-in where the work starts, Okta around it. */
function humanDay(w: World, p: Principal, dayIndex: number, dayStart: number, notBefore: number): void {
  const d = w.dice;
  // The person's own midnight: a working day spans two UTC dates for most time zones.
  const localStart = dayStart - p.tz * HOUR;
  const weekend = isWeekend(dayStart, p);
  const onCall = p.role === 'sre' && Math.floor(dayIndex / 7) % p.rotation === p.onCallWeek;
  // A weekday off now and then; a weekend day worked now and then (more often on call).
  if (weekend ? !d.chance(onCall ? 0.6 : 0.1) : d.chance(0.06)) return;
  const trip = p.travel.get(dayIndex);
  const place = trip ?? p.home;
  // Office on most weekdays, home otherwise; now and then a coffee shop or hotspot, same country.
  const ip = trip ? ipIn(trip, d) : d.chance(0.05) ? ipIn(p.home, d) : !weekend && d.chance(0.6) ? p.officeIp : p.homeIp;
  const dayMult = (weekend ? 0.3 : 1) * Math.exp(0.35 * d.normal());
  const session = w.session(p, dayStart);
  const region = d.chance(0.03) ? d.pick(['us-west-2', 'eu-west-1']) : p.region;
  const ua = d.chance(0.9) ? p.uas[0] : p.uas[1];
  const oktaSession = `102${d.hex(22)}`;
  let firstHour = -1;
  let firstActive = -1;
  // An SRE on call now and then has a night incident: a busy hour or two of operational calls.
  const incidentHour = onCall && d.chance(0.3) ? d.pick([1, 2, 3, 4, 22, 23]) : -1;
  for (let h = 0; h < 24; h++) {
    const local = h;
    const hourStart = localStart + h * HOUR;
    if (hourStart < notBefore) continue;
    let rhythm = workRhythm(local);
    if (onCall && (local < 8 || local > 19)) rhythm = Math.max(rhythm, 0.08);
    let n = d.poisson(RATE[p.role] * rhythm * dayMult);
    if (local === incidentHour) n += d.range(15, 40);
    if (n === 0) continue;
    // The day's sign-in is at the first hour of real work; a stray late-night call rides on a running session.
    if (firstActive < 0) firstActive = h;
    if (firstHour < 0 && (rhythm >= 0.4 || local === incidentHour)) firstHour = h;
    // Now and then a bulk copy ("aws s3 sync") of a data set: benign, and the reason s3 volume alone is not enough.
    if ((p.role === 'developer' || p.role === 'analyst') && d.chance(0.002)) {
      const k = d.range(20, 60);
      for (let j = 0; j < k; j++) w.cloudTrail(hourStart + d.int(HOUR), session, c('s3', 'GetObject', true, true), { ip, ua, region, request: s3Request(d, p) });
    }
    for (let j = 0; j < n; j++) {
      const call = p.catalog.pick(d);
      const t = hourStart + d.int(HOUR);
      const error = d.chance(0.015) ? d.pick(ERRORS) : undefined;
      w.cloudTrail(t, session, call, { ip, ua, region, error, request: call[0] === 's3.amazonaws.com' && call[3] ? s3Request(d, p) : null });
    }
  }
  if (firstHour < 0) firstHour = firstActive;
  if (firstHour < 0) return;
  const loginAt = localStart + firstHour * HOUR + d.int(10 * 60000);
  if (p.iamUser) {
    if (d.chance(0.04)) {
      w.cloudTrail(loginAt - 30000, session, c('signin', 'ConsoleLogin', false), { ip, ua: p.browserUa, region, response: { ConsoleLogin: 'Failure' }, errorMessage: 'Failed authentication', usernames: [p.name] });
    }
    w.cloudTrail(loginAt, session, c('signin', 'ConsoleLogin', false), { ip, ua: p.browserUa, region, response: { ConsoleLogin: 'Success' }, usernames: [p.name] });
  }
  oktaDay(w, p, localStart, loginAt, firstHour, ip, place, oktaSession);
}

/** Okta around a working day; `dayStart` is the person's local midnight, hours are local. */
function oktaDay(w: World, p: Principal, dayStart: number, loginAt: number, firstHour: number, ip: string, place: Place, session: string): void {
  const d = w.dice;
  const ua = p.browserUa;
  const o = { ip, place, ua, session };
  if (d.chance(0.03)) w.okta(loginAt - 40000, p, 'user.session.start', { ...o, result: 'FAILURE', reason: 'INVALID_CREDENTIALS' });
  w.okta(loginAt, p, 'user.session.start', o);
  if (d.chance(0.5)) {
    w.okta(loginAt + 4000, p, 'system.push.send_factor_verify_push', o);
    if (d.chance(0.01)) w.okta(loginAt + 30000, p, 'user.mfa.okta_verify.deny_push', { ...o, result: 'FAILURE', reason: 'User rejected Okta push verify' });
  }
  w.okta(loginAt + 20000, p, 'user.authentication.auth_via_mfa', o);
  const apps = d.range(1, 4);
  for (let k = 0; k < apps; k++) {
    const t = k === 0 ? loginAt + 60000 : dayStart + (firstHour + d.int(9)) * HOUR + d.int(HOUR);
    w.okta(t, p, 'user.authentication.sso', { ...o, app: d.pick(OKTA_APPS) });
  }
  if (d.chance(0.3)) {
    const t = dayStart + (firstHour + 4 + d.int(3)) * HOUR + d.int(HOUR);
    w.okta(t, p, 'user.session.start', o);
    w.okta(t + 15000, p, 'user.authentication.auth_via_mfa', o);
  }
  if (p.role === 'admin' && d.chance(0.15)) {
    const t = dayStart + (firstHour + 1 + d.int(6)) * HOUR + d.int(HOUR);
    w.okta(t, p, d.pick(['user.lifecycle.create', 'group.user_membership.add']), o);
  }
  if (d.chance(0.01)) w.okta(loginAt + 5 * 60000, p, 'user.account.update_password', o);
  if (d.chance(0.5)) w.okta(dayStart + (firstHour + 9) * HOUR + d.int(HOUR), p, 'user.session.end', o);
}

function machineDay(w: World, p: Principal, dayStart: number): void {
  const d = w.dice;
  const session = w.session(p, dayStart);
  const weekend = isWeekend(dayStart, p);
  if (p.role === 'service') {
    for (let h = 0; h < 24; h++) {
      // Traffic follows the customers' day (US), never stops.
      const busy = h >= 14 || h <= 2 ? 1.4 : 0.6;
      const n = d.poisson(RATE.service * busy * (weekend ? 0.6 : 1));
      for (let j = 0; j < n; j++) {
        const call = p.catalog.pick(d);
        const error = d.chance(0.01) ? d.pick(ERRORS) : undefined;
        w.cloudTrail(dayStart + h * HOUR + d.int(HOUR), session, call, { ip: d.pick(p.ipPool), ua: SERVICE_UA, region: p.region, error, request: call[3] ? s3Request(d, p) : null });
      }
      // Cold starts: Lambda assumes the execution role, recorded under the AWS service itself.
      if (d.chance(0.3)) {
        w.cloudTrail(dayStart + h * HOUR + d.int(HOUR), lambdaSession, c('sts', 'AssumeRole', true), {
          ip: 'lambda.amazonaws.com', ua: 'lambda.amazonaws.com', region: p.region, request: { roleArn: p.roleArn, roleSessionName: p.name },
        });
      }
    }
    return;
  }
  // CI: deploy runs on pushes, in the engineers' working hours, a few at night from scheduled jobs.
  const runs = weekend ? d.poisson(0.5) : d.poisson(6);
  for (let r = 0; r < runs; r++) {
    const h = d.chance(0.85) ? d.range(14, 23) : d.int(24);
    const runStart = dayStart + h * HOUR + d.int(HOUR - 15 * 60000);
    const ip = d.pick(p.ipPool);
    const n = d.range(8, 25);
    for (let j = 0; j < n; j++) {
      const call = p.catalog.pick(d);
      const error = d.chance(0.02) ? d.pick(ERRORS) : undefined;
      w.cloudTrail(runStart + d.int(12 * 60000), session, call, { ip, ua: CI_UA, region: p.region, error, request: call[3] ? s3Request(d, p) : null });
    }
  }
}

const lambdaSession: Session = {
  accessKeyId: '',
  arns: [],
  identity: { type: 'AWSService', invokedBy: 'lambda.amazonaws.com' },
};

function rootVisit(w: World, dayStart: number, admin: Principal): void {
  const d = w.dice;
  const rootArn = `arn:aws:iam::${ACCOUNT}:root`;
  const s: Session = { accessKeyId: '', arns: [rootArn], identity: { type: 'Root', principalId: ACCOUNT, arn: rootArn, accountId: ACCOUNT } };
  const t = dayStart + (17 - admin.tz) * HOUR + d.int(HOUR / 2);
  const o = { ip: admin.officeIp, ua: admin.browserUa, region: 'us-east-1' };
  w.cloudTrail(t, s, c('signin', 'ConsoleLogin', false), { ...o, response: { ConsoleLogin: 'Success' } });
  for (const name of ['GetBillingDetails', 'ViewBill', 'GetAccountInformation']) w.cloudTrail(t + d.int(600000), s, c('billingconsole', name, true), o);
}

// ---------------------------------------------------------------------------------------------------------------
// Attacks

interface Attack {
  scenario: ScenarioName;
  victims: Principal[];
  t: number;
  intensity: 'low' | 'high';
}

const ELIGIBLE: Record<ScenarioName, (p: Principal) => boolean> = {
  credential_theft: (p) => p.role === 'developer' || p.role === 'sre' || p.role === 'service' || p.role === 'ci',
  iam_privilege_escalation: (p) => p.role === 'developer' || p.role === 'sre' || p.role === 'ci',
  s3_mass_download: (p) => p.role === 'developer' || p.role === 'analyst' || p.role === 'service',
  logging_tampering: (p) => p.role === 'admin' || p.role === 'sre' || p.role === 'developer' || p.role === 'ci',
  secrets_harvesting: (p) => p.role === 'developer' || p.role === 'service' || p.role === 'ci' || p.role === 'sre',
  console_brute_force: (p) => p.iamUser,
  okta_password_spray: (p) => p.human,
  mfa_fatigue: (p) => p.human,
  impossible_travel: (p) => p.human,
};

function attackCalls(w: World, a: Attack, victim: Principal): number {
  const d = w.dice;
  const before = w.out.length;
  const s = w.session(victim, Math.floor(a.t / DAY) * DAY);
  const scenario = a.scenario;
  const low = a.intensity === 'low';
  const attacker = PLACES[d.pick(ATTACKER_PLACES)];
  const attackerIp = ipIn(attacker, d);
  const attackerUa = d.pick(ATTACKER_UAS);
  const usual = { ip: victim.role === 'service' ? victim.ipPool[0] : victim.homeIp, ua: victim.role === 'service' ? SERVICE_UA : victim.uas[0], region: victim.region };
  let t = a.t;
  const step = (maxMs: number) => (t += 2000 + d.int(maxMs));
  const call = (k: Call, o: { ip: string; ua: string; region: string }, extra: { error?: [string, string]; request?: Record<string, unknown> | null; response?: Record<string, unknown> | null } = {}) =>
    w.cloudTrail(step(40000), s, k, { ...o, ...extra, scenario });
  const denied: [string, string] = ['AccessDenied', 'User is not authorized to perform this operation'];
  switch (scenario) {
    case 'credential_theft': {
      const o = { ip: attackerIp, ua: attackerUa, region: d.pick(['ap-southeast-1', 'eu-north-1', 'sa-east-1', 'ap-northeast-2']) };
      call(c('sts', 'GetCallerIdentity', true), o);
      const recon: Call[] = [c('s3', 'ListBuckets', true), c('iam', 'ListUsers', true), c('iam', 'ListRoles', true), c('ec2', 'DescribeRegions', true), c('iam', 'GetAccountAuthorizationDetails', true), c('secretsmanager', 'ListSecrets', true), c('lambda', 'ListFunctions20150331', true)];
      const n = low ? d.range(3, 6) : d.range(12, 35);
      for (let k = 0; k < n; k++) {
        const region = k % 3 === 0 ? d.pick(['us-east-1', 'eu-west-1', 'ap-south-1', 'us-west-2']) : o.region;
        const k2 = d.chance(0.4) ? c('ec2', 'DescribeInstances', true) : d.pick(recon);
        call(k2, { ...o, region }, { error: d.chance(0.3) ? denied : undefined });
      }
      break;
    }
    case 'iam_privilege_escalation': {
      const o = d.chance(0.5) ? usual : { ip: attackerIp, ua: attackerUa, region: victim.region };
      call(c('iam', 'ListAttachedUserPolicies', true), o);
      call(c('iam', 'GetPolicyVersion', true), o);
      const moves: Call[] = [c('iam', 'CreatePolicyVersion', false), c('iam', 'AttachUserPolicy', false), c('iam', 'AttachRolePolicy', false), c('iam', 'PutUserPolicy', false), c('iam', 'UpdateAssumeRolePolicy', false), c('iam', 'CreateAccessKey', false), c('iam', 'CreateLoginProfile', false)];
      const n = low ? d.range(1, 3) : d.range(4, 8);
      for (let k = 0; k < n; k++) call(d.pick(moves), o, { error: k < n - 1 && d.chance(0.4) ? denied : undefined, request: { policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' } });
      break;
    }
    case 's3_mass_download': {
      // From outside, or from the victim's own network with a bulk-copy tool the victim never runs.
      const o = d.chance(0.7) ? { ip: attackerIp, ua: attackerUa, region: victim.region } : { ...usual, ua: d.pick(BULK_COPY_UAS) };
      const bucket = `${d.pick(['finance', 'customer', 'backup', 'hr'])}-exports-${ACCOUNT}`;
      const lists = d.range(2, 8);
      for (let k = 0; k < lists; k++) call(c('s3', 'ListObjects', true, true), o, { request: { bucketName: bucket } });
      const n = low ? d.range(50, 120) : d.range(200, 700);
      const span = d.range(15, 75) * 60000;
      const t0 = t;
      for (let k = 0; k < n; k++) {
        w.cloudTrail(t0 + d.int(span), s, c('s3', 'GetObject', true, true), { ...o, request: { bucketName: bucket, key: `exports/${d.hex(10)}.csv.gz` }, scenario });
      }
      break;
    }
    case 'logging_tampering': {
      const o = d.chance(0.6) ? { ip: attackerIp, ua: attackerUa, region: victim.region } : usual;
      if (d.chance(0.5)) {
        call(c('cloudtrail', 'DescribeTrails', true), o);
        if (!low) call(c('cloudtrail', 'GetTrailStatus', true), o);
        call(c('cloudtrail', d.pick(['StopLogging', 'DeleteTrail', 'UpdateTrail']), false), o, { request: { name: 'org-trail' } });
      } else {
        call(c('guardduty', 'ListDetectors', true), o);
        call(c('guardduty', d.pick(['DeleteDetector', 'UpdateDetector', 'DisassociateFromMasterAccount']), false), o, { request: { detectorId: d.hex(32) } });
      }
      if (!low) {
        call(c('ec2', 'DescribeFlowLogs', true), o);
        call(c('ec2', 'DeleteFlowLogs', false), o);
        call(c('logs', 'DeleteLogGroup', false), o, { request: { logGroupName: '/aws/vpc/flow-logs' } });
      }
      break;
    }
    case 'secrets_harvesting': {
      const o = d.chance(0.6) ? { ip: attackerIp, ua: attackerUa, region: victim.region } : usual;
      call(c('secretsmanager', 'ListSecrets', true), o);
      const n = low ? d.range(4, 8) : d.range(15, 45);
      for (let k = 0; k < n; k++) {
        const ssm = d.chance(0.3);
        call(ssm ? c('ssm', 'GetParametersByPath', true) : c('secretsmanager', 'GetSecretValue', true), o, {
          error: d.chance(0.15) ? denied : undefined,
          request: ssm ? { path: `/prod/${d.pick(SERVICES)}`, withDecryption: true } : { secretId: `prod/${d.pick(SERVICES)}/${d.pick(['db', 'api-key', 'stripe', 'oauth'])}` },
        });
        if (d.chance(0.5)) call(c('kms', 'Decrypt', true), o);
      }
      break;
    }
    case 'console_brute_force': {
      const ua = d.pick(BROWSER_UAS);
      const o = { ip: attackerIp, ua, region: 'us-east-1' };
      const n = low ? d.range(4, 8) : d.range(12, 40);
      for (let k = 0; k < n; k++) {
        w.cloudTrail(step(90000), s, c('signin', 'ConsoleLogin', false), { ...o, response: { ConsoleLogin: 'Failure' }, errorMessage: 'Failed authentication', scenario, usernames: [victim.name] });
      }
      if (d.chance(0.3)) {
        w.cloudTrail(step(60000), s, c('signin', 'ConsoleLogin', false), { ...o, response: { ConsoleLogin: 'Success' }, scenario, usernames: [victim.name] });
        const looks = d.range(2, 6);
        for (let k = 0; k < looks; k++) call(d.pick([c('iam', 'ListUsers', true), c('s3', 'ListBuckets', true), c('ec2', 'DescribeInstances', true)]), o);
      }
      break;
    }
    case 'okta_password_spray': {
      // One attacker IP works through the user list; each victim only sees a few failures.
      const o = { ip: attackerIp, place: attacker, ua: 'python-requests/2.31.0', session: 'unknown' };
      const tries = low ? d.range(1, 2) : d.range(2, 4);
      for (let k = 0; k < tries; k++) w.okta(step(120000), victim, 'user.session.start', { ...o, result: 'FAILURE', reason: 'INVALID_CREDENTIALS', scenario });
      break;
    }
    case 'mfa_fatigue': {
      const o = { ip: attackerIp, place: attacker, ua: d.pick(BROWSER_UAS), session: `102${d.hex(22)}` };
      w.okta(step(10000), victim, 'user.session.start', { ...o, result: 'SUCCESS', reason: null, scenario });
      const pushes = low ? d.range(3, 6) : d.range(8, 25);
      let accepted = false;
      for (let k = 0; k < pushes; k++) {
        w.okta(step(90000), victim, 'system.push.send_factor_verify_push', { ...o, scenario });
        if (k === pushes - 1 && d.chance(0.4)) {
          w.okta(step(20000), victim, 'user.authentication.auth_via_mfa', { ...o, scenario });
          accepted = true;
        } else if (d.chance(0.5)) {
          w.okta(step(20000), victim, 'user.mfa.okta_verify.deny_push', { ...o, result: 'FAILURE', reason: 'User rejected Okta push verify', scenario });
        } else {
          w.okta(step(20000), victim, 'user.authentication.auth_via_mfa', { ...o, result: 'FAILURE', reason: 'INVALID_CREDENTIALS', scenario });
        }
      }
      if (accepted) w.okta(step(30000), victim, 'user.authentication.sso', { ...o, app: 'AWS IAM Identity Center', scenario });
      break;
    }
    case 'impossible_travel': {
      // The user works from home as usual while a stolen session signs in half a world away.
      const far = PLACES[d.pick(ATTACKER_PLACES.filter((k) => PLACES[k].code !== victim.home.code))];
      const home = { ip: victim.homeIp, place: victim.home, ua: victim.browserUa, session: `102${d.hex(22)}` };
      w.okta(step(60000), victim, 'user.authentication.sso', { ...home, app: d.pick(OKTA_APPS), scenario });
      const o = { ip: ipIn(far, d), place: far, ua: d.pick(BROWSER_UAS), session: `102${d.hex(22)}` };
      w.okta(step(600000), victim, 'user.session.start', { ...o, scenario });
      w.okta(step(20000), victim, 'user.authentication.auth_via_mfa', { ...o, scenario });
      const apps = low ? 0 : d.range(1, 3);
      for (let k = 0; k < apps; k++) w.okta(step(120000), victim, 'user.authentication.sso', { ...o, app: d.pick(OKTA_APPS), scenario });
      break;
    }
  }
  return w.out.length - before;
}

function scheduleAttacks(dice: Dice, principals: Principal[], days: number, dayZero: number, scenarios: readonly ScenarioName[], rate: number): Attack[] {
  const attacks: Attack[] = [];
  const humans = principals.filter((p) => p.human);
  for (const scenario of scenarios) {
    const eligible = principals.filter(ELIGIBLE[scenario]);
    if (eligible.length === 0) continue;
    const count = Math.max(1, Math.round(rate * principals.length * days));
    for (let k = 0; k < count; k++) {
      // Spread over the whole period, so an earlier training slice and a later test slice both hold some.
      const day = Math.min(days - 1, Math.floor(((k + dice.next()) * days) / count));
      const victim = dice.pick(eligible);
      // Most land in the victim's working hours, where they hide among real work; the rest at night.
      const localHour = dice.chance(0.6) ? dice.range(9, 17) : dice.pick([0, 1, 2, 3, 4, 5, 22, 23]);
      const utcHour = (((localHour - victim.tz) % 24) + 24) % 24;
      const t = dayZero + day * DAY + utcHour * HOUR + dice.int(20 * 60000);
      const victims = scenario === 'okta_password_spray' ? humans.filter(() => dice.chance(0.2)) : [victim];
      if (victims.length === 0) victims.push(victim);
      attacks.push({ scenario, victims, t, intensity: dice.chance(0.4) ? 'low' : 'high' });
    }
  }
  return attacks;
}

// ---------------------------------------------------------------------------------------------------------------

/** Every (entity, window) that attack events fall in, under the specs' own entity and window rules. */
function labelsOf(stamps: Stamp[], specs: readonly FeatureSpec[]): WindowLabel[] {
  const readers = new Map(specs.map((s) => [s.logType, { entity: entityReader(s), time: eventTimeReader(s), windowMs: s.windowMinutes * 60000 }]));
  const seen = new Map<string, WindowLabel>();
  for (const { e, scenario } of stamps) {
    if (!scenario) continue;
    const logType = e.p_log_type as string;
    const r = readers.get(logType);
    if (!r) continue;
    const entity = r.entity(e);
    const t = r.time(e);
    if (entity === undefined || Number.isNaN(t)) continue;
    const windowStart = isoWindowStart(t - (t % r.windowMs));
    const key = `${logType}\u0000${entity}\u0000${windowStart}`;
    if (!seen.has(key)) seen.set(key, { logType, entity, windowStart, scenario });
  }
  return [...seen.values()].sort((a, b) =>
    a.logType < b.logType ? -1 : a.logType > b.logType ? 1 : a.entity < b.entity ? -1 : a.entity > b.entity ? 1 : a.windowStart < b.windowStart ? -1 : a.windowStart > b.windowStart ? 1 : 0,
  );
}

/**
 * Simulates `principals` principals over `days` days: developers, admins, SREs (on call), analysts, CI pipelines
 * and Lambda services, with daily rhythm, quiet weekends, days off, trips, new benign IPs, errors and bulk copies,
 * plus the chosen attack scenarios. Deterministic for a seed.
 */
export function simulate(options: SimulateOptions): Simulation {
  const { days, principals: n, seed } = options;
  if (!Number.isInteger(days) || days < 1) throw new RangeError('days must be a positive integer');
  if (!Number.isInteger(n) || n < 1) throw new RangeError('principals must be a positive integer');
  const dice = new Dice(mulberry32(seed));
  const start = options.start ?? new Date(Date.UTC(2026, 0, 5));
  const dayZero = Math.floor(start.getTime() / DAY) * DAY;
  const scenarios = options.scenarios ?? SCENARIOS;
  const world = new World(dice);
  const principals = makePrincipals(n, dice, days, new Map());
  const admin = principals.find((p) => p.role === 'admin');
  const rootDay = days >= 7 ? dice.int(days) : -1;
  for (let day = 0; day < days; day++) {
    const dayStart = dayZero + day * DAY;
    for (const p of principals) {
      if (p.human) humanDay(world, p, day, dayStart, dayZero);
      else machineDay(world, p, dayStart);
    }
    if (day === rootDay && admin && !isWeekend(dayStart, admin)) rootVisit(world, dayStart, admin);
  }
  const attacks: AttackRecord[] = [];
  for (const a of scheduleAttacks(dice, principals, days, dayZero, scenarios, options.attackRate ?? 0.004)) {
    let events = 0;
    for (const v of a.victims) events += attackCalls(world, { ...a, t: a.t + dice.int(20 * 60000) }, v);
    const okta = a.scenario === 'okta_password_spray' || a.scenario === 'mfa_fatigue' || a.scenario === 'impossible_travel';
    const victim = a.victims.length === 1 ? (okta ? a.victims[0].email : a.victims[0].arn) : `${a.victims.length} users`;
    attacks.push({ scenario: a.scenario, victim, start: isoWindowStart(a.t), events, intensity: a.intensity });
  }
  const stamps = world.out;
  stamps.sort((x, y) => x.t - y.t);
  return {
    events: stamps.map((s) => s.e),
    labels: labelsOf(stamps, options.specs ?? DEFAULT_SPECS),
    attacks,
  };
}

/** Sets label 1 and the scenario on rows an attack touched, 0 on the rest (a copy; the input is not changed). */
export function applyLabels(rows: readonly FeatureRow[], labels: readonly WindowLabel[]): FeatureRow[] {
  const byKey = new Map<string, string>();
  const byWindow = new Map<string, string>();
  for (const l of labels) {
    byKey.set(`${l.logType}\u0000${l.entity}\u0000${l.windowStart}`, l.scenario);
    byWindow.set(`${l.entity}\u0000${l.windowStart}`, l.scenario);
  }
  return rows.map((r) => {
    // Rows without a log type (e.g. from a CSV) match on entity and window alone.
    const scenario = r.logType !== undefined ? byKey.get(`${r.logType}\u0000${r.entity}\u0000${r.windowStart}`) : byWindow.get(`${r.entity}\u0000${r.windowStart}`);
    const out: FeatureRow = { ...r, label: scenario !== undefined ? 1 : 0 };
    if (scenario !== undefined) out.scenario = scenario;
    else delete out.scenario;
    return out;
  });
}
