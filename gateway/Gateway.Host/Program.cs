using Gateway.Host.Cli;

return await GatewayCommandLine.InvokeAsync(args);
