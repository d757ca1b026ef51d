// Build mode: the one docker provider of the stack, logged in to the account's ECR registry.
import { Construct } from 'constructs';
import { Fn } from 'cdktf';
import { DataAwsEcrAuthorizationToken } from '@cdktf/provider-aws/lib/data-aws-ecr-authorization-token';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';

export class EcrDockerRegistry extends Construct {
  readonly provider: DockerProvider;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    // The token lasts 12 hours: a saved plan applied later than that fails to push and must be planned again.
    const token = new DataAwsEcrAuthorizationToken(this, 'token', {});
    this.provider = new DockerProvider(this, 'provider', {
      registryAuth: [
        {
          address: Fn.replace(token.proxyEndpoint, 'https://', ''),
          username: token.userName,
          password: token.password,
        },
      ],
    });
  }
}
