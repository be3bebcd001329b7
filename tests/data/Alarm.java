package org.acme;

import org.kie.api.definition.type.Role;

@Role(Role.Type.EVENT)
public class Alarm implements java.io.Serializable {
    private String code;
    public Alarm() {}
    public Alarm(String code) { this.code = code; }
    public String getCode() { return code; }
    public void setCode(String code) { this.code = code; }
}
