namespace Gateway.Host.Admin;

/// <summary>Whether the admin page asks for a credential: <see cref="Basic"/> is null when <c>Admin:CredentialFile</c> is not set (loopback only).</summary>
public sealed record AdminAuthentication(BasicAuthentication? Basic)
{
    public bool Enabled => Basic is not null;
}
