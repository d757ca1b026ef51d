// The REST API in front of the detection function: open GET /health, POST /detect behind an API key and usage plan.
import { createHash } from 'node:crypto';
import { Construct } from 'constructs';
import { ApiGatewayAccount } from '@cdktf/provider-aws/lib/api-gateway-account';
import { ApiGatewayApiKey } from '@cdktf/provider-aws/lib/api-gateway-api-key';
import { ApiGatewayDeployment } from '@cdktf/provider-aws/lib/api-gateway-deployment';
import { ApiGatewayIntegration } from '@cdktf/provider-aws/lib/api-gateway-integration';
import { ApiGatewayMethod } from '@cdktf/provider-aws/lib/api-gateway-method';
import { ApiGatewayMethodSettings } from '@cdktf/provider-aws/lib/api-gateway-method-settings';
import { ApiGatewayResource } from '@cdktf/provider-aws/lib/api-gateway-resource';
import { ApiGatewayRestApi } from '@cdktf/provider-aws/lib/api-gateway-rest-api';
import { ApiGatewayStage } from '@cdktf/provider-aws/lib/api-gateway-stage';
import { ApiGatewayUsagePlan } from '@cdktf/provider-aws/lib/api-gateway-usage-plan';
import { ApiGatewayUsagePlanKey } from '@cdktf/provider-aws/lib/api-gateway-usage-plan-key';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { AccountContext } from './account';
import { ContainerFunction } from './container-function';
import { policyDocument, serviceTrustPolicy } from './policy';

export const STAGE_NAME = 'v1';

/** The API's routes: path, method and whether the method requires the API key. */
export const ROUTES = [
  { path: 'health', method: 'GET', apiKeyRequired: false },
  { path: 'detect', method: 'POST', apiKeyRequired: true },
] as const;

// One JSON line per request; no body, no API key value (only its id), no query string.
const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  ip: '$context.identity.sourceIp',
  apiKeyId: '$context.identity.apiKeyId',
  httpMethod: '$context.httpMethod',
  resourcePath: '$context.resourcePath',
  status: '$context.status',
  responseLength: '$context.responseLength',
  integrationLatency: '$context.integration.latency',
  errorMessage: '$context.error.message',
});

export interface DetectionApiProps {
  namePrefix: string;
  account: AccountContext;
  detection: ContainerFunction;
  rateLimitPerSecond: number;
  burstLimit: number;
  quotaPerDay: number;
  logRetentionDays: number;
  /** Create API Gateway's account-wide CloudWatch role; needed once per account and region for access logs. */
  manageAccountLoggingRole: boolean;
}

export class DetectionApi extends Construct {
  readonly restApi: ApiGatewayRestApi;
  readonly stage: ApiGatewayStage;
  readonly apiKey: ApiGatewayApiKey;
  readonly accessLogGroup: CloudwatchLogGroup;
  /** Base URL of the stage; the routes are `${invokeUrl}/health` and `${invokeUrl}/detect`. */
  readonly invokeUrl: string;

  constructor(scope: Construct, id: string, props: DetectionApiProps) {
    super(scope, id);
    const name = `${props.namePrefix}-detection`;

    this.restApi = new ApiGatewayRestApi(this, 'api', {
      name,
      description: 'Panther anomaly detection: GET /health, POST /detect',
      endpointConfiguration: { types: ['REGIONAL'] },
      apiKeySource: 'HEADER',
    });

    const routeParts = ROUTES.map((route) => {
      const resource = new ApiGatewayResource(this, `${route.path}-resource`, {
        restApiId: this.restApi.id,
        parentId: this.restApi.rootResourceId,
        pathPart: route.path,
      });
      const method = new ApiGatewayMethod(this, `${route.path}-method`, {
        restApiId: this.restApi.id,
        resourceId: resource.id,
        httpMethod: route.method,
        authorization: 'NONE',
        apiKeyRequired: route.apiKeyRequired,
      });
      const integration = new ApiGatewayIntegration(this, `${route.path}-integration`, {
        restApiId: this.restApi.id,
        resourceId: resource.id,
        httpMethod: method.httpMethod,
        type: 'AWS_PROXY',
        integrationHttpMethod: 'POST',
        uri: props.detection.function.invokeArn,
      });
      return { route, resource, method, integration };
    });

    const deployment = new ApiGatewayDeployment(this, 'deployment', {
      restApiId: this.restApi.id,
      description: 'Routes of the detection API',
      // A new deployment whenever the route table changes; the routes are literal, so the hash is stable.
      triggers: { routes: createHash('sha256').update(JSON.stringify(ROUTES)).digest('hex') },
      lifecycle: { createBeforeDestroy: true },
      dependsOn: routeParts.flatMap((part) => [part.method, part.integration]),
    });

    this.accessLogGroup = new CloudwatchLogGroup(this, 'access-logs', {
      name: `/aws/apigateway/${name}`,
      retentionInDays: props.logRetentionDays,
    });

    const accountSettings = props.manageAccountLoggingRole ? this.accountLoggingRole(props) : undefined;

    this.stage = new ApiGatewayStage(this, 'stage', {
      restApiId: this.restApi.id,
      deploymentId: deployment.id,
      stageName: STAGE_NAME,
      accessLogSettings: { destinationArn: this.accessLogGroup.arn, format: ACCESS_LOG_FORMAT },
      dependsOn: accountSettings === undefined ? [] : [accountSettings],
    });

    new ApiGatewayMethodSettings(this, 'method-settings', {
      restApiId: this.restApi.id,
      stageName: this.stage.stageName,
      methodPath: '*/*',
      settings: {
        throttlingRateLimit: props.rateLimitPerSecond,
        throttlingBurstLimit: props.burstLimit,
        metricsEnabled: true,
        // Execution logs and data traces would copy request bodies (Panther events) into CloudWatch.
        loggingLevel: 'OFF',
        dataTraceEnabled: false,
      },
    });

    const usagePlan = new ApiGatewayUsagePlan(this, 'usage-plan', {
      name,
      description: 'Throttling and daily quota for POST /detect callers',
      apiStages: [{ apiId: this.restApi.id, stage: this.stage.stageName }],
      throttleSettings: { rateLimit: props.rateLimitPerSecond, burstLimit: props.burstLimit },
      quotaSettings: { limit: props.quotaPerDay, period: 'DAY' },
    });
    // The key's value is generated by API Gateway: it is in the state (sensitive), never in the synthesized JSON.
    this.apiKey = new ApiGatewayApiKey(this, 'api-key', {
      name: `${name}-client`,
      description: 'Key for POST /detect',
      enabled: true,
    });
    new ApiGatewayUsagePlanKey(this, 'usage-plan-key', {
      keyId: this.apiKey.id,
      keyType: 'API_KEY',
      usagePlanId: usagePlan.id,
    });

    // Invocation allowed only from these two routes of this stage.
    for (const { route } of routeParts) {
      new LambdaPermission(this, `${route.path}-permission`, {
        statementId: `AllowApiGateway-${route.method}-${route.path}`,
        action: 'lambda:InvokeFunction',
        functionName: props.detection.function.functionName,
        principal: 'apigateway.amazonaws.com',
        sourceArn: `${this.stage.executionArn}/${route.method}/${route.path}`,
      });
    }

    this.invokeUrl = this.stage.invokeUrl;
  }

  private accountLoggingRole(props: DetectionApiProps): ApiGatewayAccount {
    const { partition, region, accountId } = props.account;
    const role = new IamRole(this, 'cloudwatch-role', {
      name: `${props.namePrefix}-apigw-logs`,
      description: 'API Gateway account setting: writes API access logs to CloudWatch Logs',
      assumeRolePolicy: serviceTrustPolicy('apigateway.amazonaws.com'),
    });
    // The role serves every REST API of the account and region, so it is scoped to their log groups, not one.
    const logGroups = `arn:${partition}:logs:${region}:${accountId}:log-group:*`;
    const policy = new IamRolePolicy(this, 'cloudwatch-role-policy', {
      name: 'push-to-cloudwatch-logs',
      role: role.id,
      policy: policyDocument([
        {
          sid: 'WriteApiLogs',
          actions: [
            'logs:CreateLogGroup',
            'logs:CreateLogStream',
            'logs:DescribeLogGroups',
            'logs:DescribeLogStreams',
            'logs:PutLogEvents',
          ],
          resources: [logGroups, `${logGroups}:log-stream:*`],
        },
      ]),
    });
    return new ApiGatewayAccount(this, 'account', { cloudwatchRoleArn: role.arn, dependsOn: [policy] });
  }
}
