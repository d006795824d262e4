using Microsoft.Extensions.Options;

namespace Gateway.Host.Configuration;

/// <summary>Adapts an options class's <c>Validate()</c> (one line per problem, naming the key) to <see cref="IValidateOptions{TOptions}"/>.</summary>
public sealed class OptionsValidator<TOptions>(Func<TOptions, IEnumerable<string>> validate) : IValidateOptions<TOptions>
    where TOptions : class
{
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        var problems = validate(options).ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
