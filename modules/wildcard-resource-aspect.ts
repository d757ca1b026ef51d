// Policy as an Aspect: synthesis fails when an Allow statement grants a wildcard action, or a `*` resource for an
// action that can be scoped to an ARN.
import { IConstruct } from 'constructs';
import { IAspect } from 'cdktf';

// Actions that AWS only authorises against `*`: no ARN exists to scope them to.
const ACTIONS_WITHOUT_RESOURCES: ReadonlySet<string> = new Set([
  'ecr:GetAuthorizationToken',
  'logs:DescribeLogGroups',
  'xray:PutTelemetryRecords',
  'xray:PutTraceSegments',
]);

export interface PolicyViolation {
  sid: string;
  problem: string;
}

/** Thrown during synthesis; names the construct and the statement. */
export class PolicyViolationError extends Error {
  constructor(path: string, violation: PolicyViolation) {
    super(`IAM policy of ${path}, statement "${violation.sid}": ${violation.problem}`);
    this.name = 'PolicyViolationError';
  }
}

/** The problems of one policy document (JSON string); empty when it passes. */
export function policyViolations(policyJson: string): PolicyViolation[] {
  const doc = JSON.parse(policyJson) as { Statement?: unknown };
  const statements = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  const violations: PolicyViolation[] = [];
  statements.forEach((raw, index) => {
    const statement = raw as Record<string, unknown>;
    if (statement === undefined || statement.Effect !== 'Allow') return;
    const sid = typeof statement.Sid === 'string' ? statement.Sid : `#${index}`;
    const actions = asList(statement.Action);
    if ('NotAction' in statement || 'NotResource' in statement) {
      violations.push({ sid, problem: 'NotAction / NotResource in an Allow statement grants everything else' });
    }
    for (const action of actions) {
      if (action.includes('*')) violations.push({ sid, problem: `wildcard action "${action}"` });
    }
    const resources = asList(statement.Resource);
    if (resources.some(isWildcardResource) && !actions.every((a) => ACTIONS_WITHOUT_RESOURCES.has(a))) {
      violations.push({ sid, problem: `"*" resource for ${actions.join(', ')}, which can be scoped to an ARN` });
    }
  });
  return violations;
}

/** Visits every construct with a policy attribute and throws on the first violation. */
export class WildcardResourceAspect implements IAspect {
  visit(node: IConstruct): void {
    for (const policy of policyInputs(node)) {
      const [first] = policyViolations(policy);
      if (first !== undefined) throw new PolicyViolationError(node.node.path, first);
    }
  }
}

// Generated provider classes expose what was configured as `<attribute>Input`; the plain getters return references.
function policyInputs(node: IConstruct): string[] {
  const record = node as unknown as Record<string, unknown>;
  return ['policyInput', 'inlinePolicyInput']
    .filter((key) => key in record)
    .map((key) => record[key])
    .filter((value): value is string => typeof value === 'string' && value.trimStart().startsWith('{'));
}

function isWildcardResource(resource: string): boolean {
  return resource === '*' || resource === 'arn:*' || /^arn:[^:]*:[^:]*:[^:]*:[^:]*:\*$/.test(resource);
}

function asList(value: unknown): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}
