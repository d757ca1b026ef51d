// The Secrets Manager secret that holds the Panther API token; its value is set by the operator, never by Terraform.
import { Construct } from 'constructs';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { ContainerFunction } from './container-function';

export interface PantherSecretProps {
  namePrefix: string;
}

export class PantherSecret extends Construct {
  readonly secret: SecretsmanagerSecret;
  readonly arn: string;
  readonly name: string;

  constructor(scope: Construct, id: string, props: PantherSecretProps) {
    super(scope, id);
    // No secret version here: a value in Terraform would sit in the state and the plan.
    this.secret = new SecretsmanagerSecret(this, 'secret', {
      name: `${props.namePrefix}/panther-api-token`,
      description: 'Panther API token (X-API-Key) used by training to query the data lake and read alerts',
      recoveryWindowInDays: 7,
    });
    this.arn = this.secret.arn;
    this.name = this.secret.name;
  }

  /** Lets a function read the token, and nothing else in Secrets Manager. */
  grantRead(grantee: ContainerFunction): void {
    grantee.grant(
      'panther-token-read',
      [{ sid: 'ReadPantherToken', actions: ['secretsmanager:GetSecretValue'], resources: [this.secret.arn] }],
      this,
    );
  }
}
