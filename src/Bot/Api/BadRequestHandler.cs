using Microsoft.AspNetCore.Diagnostics;

namespace Bot.Api;

/// <summary>
/// A request the endpoints could not bind (a malformed JSON body, a query value that is not a number) is answered 400 with
/// a problem body that says what was wrong, not a bare "Bad Request" (or a 500); nothing was done.
/// </summary>
internal sealed class BadRequestHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad)
        {
            return false;
        }

        httpContext.Response.StatusCode = bad.StatusCode;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails =
            {
                Status = bad.StatusCode,
                Title = "Bad request",
                Detail = bad.InnerException is System.Text.Json.JsonException json ? $"{bad.Message} {json.Message}" : bad.Message,
            },
        });
    }
}
