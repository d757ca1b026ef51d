// The account, partition and region the stack deploys into, for ARNs that cannot come from a resource attribute.
import { Construct } from 'constructs';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';

export interface AccountContext {
  readonly partition: string;
  readonly accountId: string;
  readonly region: string;
}

export class AwsAccount extends Construct implements AccountContext {
  readonly partition: string;
  readonly accountId: string;
  readonly region: string;

  constructor(scope: Construct, id: string, props: { region: string }) {
    super(scope, id);
    this.partition = new DataAwsPartition(this, 'partition').partition;
    this.accountId = new DataAwsCallerIdentity(this, 'caller').accountId;
    this.region = props.region;
  }
}
