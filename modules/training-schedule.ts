// The EventBridge rule that starts training on the configured schedule, allowed to invoke only that function.
import { Construct } from 'constructs';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { ContainerFunction } from './container-function';

export interface TrainingScheduleProps {
  namePrefix: string;
  /** EventBridge schedule expression, e.g. `rate(1 day)` or `cron(0 3 * * ? *)`. */
  schedule: string;
  training: ContainerFunction;
}

export class TrainingSchedule extends Construct {
  readonly rule: CloudwatchEventRule;

  constructor(scope: Construct, id: string, props: TrainingScheduleProps) {
    super(scope, id);
    this.rule = new CloudwatchEventRule(this, 'rule', {
      name: `${props.namePrefix}-training`,
      description: 'Retrains the anomaly model from Panther data',
      scheduleExpression: props.schedule,
      state: 'ENABLED',
    });
    new CloudwatchEventTarget(this, 'target', {
      rule: this.rule.name,
      targetId: 'training',
      arn: props.training.function.arn,
    });
    new LambdaPermission(this, 'permission', {
      statementId: 'AllowTrainingSchedule',
      action: 'lambda:InvokeFunction',
      functionName: props.training.function.functionName,
      principal: 'events.amazonaws.com',
      sourceArn: this.rule.arn,
    });
  }
}
