// IAM policy documents as typed statements, rendered to the JSON string Terraform's policy attributes take.

export interface PolicyStatement {
  /** Says what the statement is for; shows in the console and in the synthesized JSON. */
  sid: string;
  effect?: 'Allow' | 'Deny';
  actions: string[];
  /** Omitted only in resource policies that apply to their own resource (an ECR repository's). */
  resources?: string[];
  /** Principals, for resource policies (bucket, repository). */
  principals?: Record<string, string | string[]>;
  conditions?: Record<string, Record<string, string | string[]>>;
}

/** The policy document JSON for some statements; resources may hold Terraform references (tokens). */
export function policyDocument(statements: readonly PolicyStatement[]): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: statements.map((s) => ({
      Sid: s.sid,
      Effect: s.effect ?? 'Allow',
      ...(s.principals === undefined ? {} : { Principal: s.principals }),
      Action: s.actions,
      ...(s.resources === undefined ? {} : { Resource: s.resources }),
      ...(s.conditions === undefined ? {} : { Condition: s.conditions }),
    })),
  });
}

/** The trust policy that lets one AWS service assume a role. */
export function serviceTrustPolicy(service: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Sid: 'AssumedByService', Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }],
  });
}
