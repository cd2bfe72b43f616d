package org.dapstream.files;

import org.dapstream.protocol.ErrorCode;

/** A transfer that ended without its file: the code and reason a FAIL carries. */
public final class FileTransferException extends Exception {
    private final ErrorCode code;

    public FileTransferException(ErrorCode code, String reason) {
        super(reason);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }

    @Override
    public String toString() {
        return code + ": " + getMessage();
    }
}
