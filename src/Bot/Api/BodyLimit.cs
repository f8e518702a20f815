using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;

namespace Bot.Api;

/// <summary>An endpoint's largest request body (Kestrel's default is 30 MB); a larger one is refused with 413 as it is read.</summary>
internal sealed record BodyLimit(long? MaxRequestBodySize) : IRequestSizeLimitMetadata
{
    /// <summary>Applies the matched endpoint's <see cref="IRequestSizeLimitMetadata"/> before anything reads the body.</summary>
    public static WebApplication UseBodyLimits(WebApplication app)
    {
        app.Use((http, next) =>
        {
            if (http.GetEndpoint()?.Metadata.GetMetadata<IRequestSizeLimitMetadata>() is { } limit
                && http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
            {
                feature.MaxRequestBodySize = limit.MaxRequestBodySize;
            }

            return next(http);
        });
        return app;
    }
}
