package org.dapstream.files;

import org.dapstream.protocol.ErrorCode;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** A transfer that ended without its file: the code and reason a FAIL carries. */
public final class FileTransferException extends Exception {
    private final ErrorCode code;

    public FileTransferException(ErrorCode code, String reason) {
        super(reason);
        this.code = code;
    }

    /**
     * What a failed transfer's future holds, as a transfer failure: itself when it is one (also
     * wrapped in CompletionException or ExecutionException), else FILE_IO_ERROR naming it.
     */
    public static FileTransferException of(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t instanceof FileTransferException e ? e : new FileTransferException(ErrorCode.FILE_IO_ERROR, String.valueOf(t));
    }

    public ErrorCode code() {
        return code;
    }

    @Override
    public String toString() {
        return code + ": " + getMessage();
    }
}
